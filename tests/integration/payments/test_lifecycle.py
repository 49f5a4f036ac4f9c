"""After the payment (issue 3): a voided Stripe invoice, disputes, and customer changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_customer
from tests.unit.payments.stripe_events import event
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import selectors
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, Refund, WebhookEvent

pytestmark = pytest.mark.django_db


def _ingreso() -> Invoice:
    return Invoice.objects.get(tipo_de_comprobante="I")


# --- invoice.voided ---------------------------------------------------------------------------------


def test_a_voided_stripe_invoice_whose_cfdi_is_stamped_is_flagged_for_cancellation(connection, deliver):
    deliver(connection, event("invoice_paid"))
    assert _ingreso().status == InvoiceStatus.DELIVERED
    voided = event("invoice_voided")

    deliver(connection, voided)
    deliver(connection, event("invoice_voided", event_id="evt_again_days_later"))

    invoice = _ingreso()
    assert invoice.cancellation_requested_at is not None and invoice.cancellation_motive == "02"
    assert "KEMPER-0042" in invoice.cancellation_reason and "motivo 02" in invoice.cancellation_reason
    assert invoice.status == InvoiceStatus.DELIVERED  # the SAT cancellation itself is a separate step
    assert invoice.events.filter(kind="cancellation_requested").count() == 1  # duplicates leave one trace
    assert invoice in selectors.needs_attention(connection.org, livemode=False)
    assert WebhookEvent.objects.get(event_id=voided["id"]).status == WebhookEvent.PROCESSED


def test_a_voided_stripe_invoice_not_yet_invoiced_is_never_invoiced(connection, deliver):
    # given its payment waits for fiscal data (no RFC anywhere)
    deliver(connection, event("invoice_paid", customer_tax_ids=[]))
    assert Payment.objects.get().status == Payment.AWAITING_FISCAL_DATA
    # when Stripe voids the invoice
    deliver(connection, event("invoice_voided"))
    # then the payment is closed with the reason and stays uninvoiced, even if retried
    payment = Payment.objects.get()
    assert payment.status == Payment.NOT_INVOICED and "anuló" in payment.status_reason
    from timbra.payments.services.invoice_payment import invoice_payment

    invoice_payment(payment.pk, as_of=payment.updated_at)
    assert Invoice.objects.count() == 0


def test_a_voided_stripe_invoice_whose_cfdi_is_a_draft_is_stopped(connection, deliver, monkeypatch):
    from timbra import jobs

    real = jobs.enqueue_on_commit
    monkeypatch.setattr(
        jobs, "enqueue_on_commit", lambda name, **kw: None if name == "invoicing.process" else real(name, **kw)
    )
    deliver(connection, event("invoice_paid"))
    assert _ingreso().status == InvoiceStatus.DRAFT

    deliver(connection, event("invoice_voided"))

    invoice = _ingreso()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.uuid is None
    assert invoice.events.filter(kind="voided_at_gateway").count() == 1


def test_a_voided_invoice_timbra_never_saw_paid_is_recorded_not_ignored(connection, deliver):
    deliver(connection, event("invoice_voided"))

    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.PROCESSED and "no hay CFDI que cancelar" in row.reason


# --- disputes ---------------------------------------------------------------------------------------


def test_a_dispute_is_recorded_on_the_payment_and_the_invoice_timeline(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))

    deliver(connection, event("charge_dispute_created"))

    payment = Payment.objects.get()
    assert (payment.dispute_id, payment.dispute_status, payment.dispute_outcome, payment.dispute_reason) == (
        "dp_1QhMa1LkdIwHu7ixDiSpUt01",
        "needs_response",
        "open",
        "fraudulent",
    )
    assert payment.dispute_amount == Decimal("580.00")
    assert _ingreso().events.filter(kind="dispute_open").count() == 1
    assert Invoice.objects.count() == 1


def test_a_lost_dispute_is_credited_like_a_refund(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("charge_dispute_created"))

    deliver(connection, event("charge_dispute_closed"))
    deliver(connection, event("charge_dispute_closed", event_id="evt_dup_closed"))
    deliver(connection, event("charge_dispute_created", event_id="evt_late_created"))  # out of order, late

    payment = Payment.objects.get()
    assert (payment.dispute_outcome, payment.dispute_status, payment.dispute_fee) == (
        "lost",
        "lost",
        Decimal("150.00"),
    )
    egreso = Invoice.objects.get(tipo_de_comprobante="E")
    assert egreso.total == Decimal("580.00") and egreso.source_id == "refund:dp_1QhMa1LkdIwHu7ixDiSpUt01"
    assert egreso.related == [{"tipo_relacion": "01", "uuids": [_ingreso().uuid]}]
    assert "Contracargo" in egreso.lines.get().descripcion
    assert Refund.objects.get().kind == "dispute_lost" and payment.refunded == Decimal("580.00")


def test_a_won_dispute_is_only_recorded(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))

    deliver(connection, event("charge_dispute_closed", status="won", balance_transactions=[]))

    payment = Payment.objects.get()
    assert payment.dispute_outcome == "won" and Invoice.objects.count() == 1
    assert _ingreso().events.filter(kind="dispute_won").count() == 1


def test_a_refund_then_a_lost_dispute_never_credit_more_than_the_invoice(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("charge_refunded_partial"))  # 200.00 back

    deliver(connection, event("charge_dispute_closed"))  # 580.00 lost: more than is left

    held = Refund.objects.get(kind="dispute_lost")
    assert held.status == Refund.HELD and "supere el total" in held.status_reason
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


# --- customers --------------------------------------------------------------------------------------


def test_customer_updated_keeps_the_linked_customers_fiscal_data_current(connection, deliver, org):
    customer = make_customer(org, external_id="stripe:cus_R9aBcDeFgHiJ01")
    moved = event(
        "customer_updated",
        address={"country": "MX", "postal_code": "86990"},
        metadata={"razon_social": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601", "uso_cfdi": "G01"},
    )

    deliver(connection, moved)

    customer.refresh_from_db()
    assert (customer.codigo_postal, customer.uso_cfdi) == ("86990", "G01")
    assert "actualizados" in WebhookEvent.objects.get().reason


def test_invalid_gateway_data_never_overwrites_good_data(connection, deliver, org):
    customer = make_customer(org, external_id="stripe:cus_R9aBcDeFgHiJ01")
    # 605 (sueldos y salarios) is only for personas físicas; URE180429TM6 is a persona moral
    bad = event("customer_updated", metadata={"regimen_fiscal": "605"})

    deliver(connection, bad)

    customer.refresh_from_db()
    assert customer.regimen_fiscal == "601"
    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.PROCESSED and "no son válidos" in row.reason and "605" in row.reason


def test_a_deleted_rfc_keeps_the_validated_one(connection, deliver, org):
    customer = make_customer(org, external_id="stripe:cus_R9aBcDeFgHiJ01")
    deleted = event("customer_tax_id_created")
    deleted["type"] = "customer.tax_id.deleted"

    deliver(connection, deleted)

    customer.refresh_from_db()
    assert customer.rfc == "URE180429TM6" and "conserva" in WebhookEvent.objects.get().reason


def test_a_payment_awaiting_fiscal_data_is_invoiced_once_the_customer_gets_an_rfc(connection, deliver):
    # given a subscription payment whose customer had no RFC
    deliver(connection, event("invoice_paid", customer_tax_ids=[]))
    assert Payment.objects.get().status == Payment.AWAITING_FISCAL_DATA
    # when the customer adds their RFC in Stripe (twice: a duplicate delivery)
    deliver(connection, event("customer_tax_id_created"))
    deliver(connection, event("customer_tax_id_created", event_id="evt_dup_tax_id"))
    # then the payment is invoiced, once
    payment = Payment.objects.get()
    assert payment.status == Payment.INVOICED and Invoice.objects.count() == 1
    assert Invoice.objects.get().customer.rfc == "URE180429TM6"


def test_a_non_mexican_tax_id_is_ignored_with_the_reason(connection, deliver):
    deliver(connection, event("customer_tax_id_created", type="eu_vat", value="DE123456789"))

    row = WebhookEvent.objects.get()
    assert row.status == WebhookEvent.IGNORED and "mx_rfc" in row.reason


def test_the_dashboard_asks_for_the_cancellation_and_the_timeline_tells_why(connection, deliver, org):
    from django.test import Client
    from django.urls import reverse

    from tests.integration.dashboard.conftest import make_staff

    deliver(connection, event("invoice_paid"))
    deliver(connection, event("invoice_voided"))
    client = Client()
    client.force_login(make_staff(org))

    attention = client.get(reverse("dashboard:attention")).content.decode()
    detail = client.get(reverse("dashboard:invoice_detail", args=[_ingreso().pk])).content.decode()

    assert "Debe cancelarse ante el SAT (motivo 02)" in attention and "KEMPER-0042" in attention
    assert "Cancelación solicitada" in detail


@pytest.mark.parametrize("name", ["charge_refunded_partial", "charge_dispute_closed", "invoice_voided_oneoff"])
def test_a_worker_dying_after_the_work_but_before_closing_the_event_changes_nothing_on_rerun(
    connection, deliver, name
):
    from timbra.payments.services.process_event import process_event

    deliver(connection, event("charge_succeeded_oneoff"))
    data = (
        event("invoice_voided", payment_intent="pi_3QhMa1LkdIwHu7ix0PaYiN01", id="in_unrelated")
        if name == "invoice_voided_oneoff"
        else event(name)
    )
    deliver(connection, data)
    before = (Invoice.objects.count(), _ingreso().events.count(), Refund.objects.count())
    # when the event is left open (the worker died before marking it) and runs again, twice
    row = WebhookEvent.objects.get(event_id=data["id"])
    WebhookEvent.objects.filter(pk=row.pk).update(status=WebhookEvent.RECEIVED)
    process_event(row.pk, as_of=row.received_at)
    WebhookEvent.objects.filter(pk=row.pk).update(status=WebhookEvent.RECEIVED)
    process_event(row.pk, as_of=row.received_at)
    # then nothing new: no second Egreso, no second timeline row, no second refund
    assert (Invoice.objects.count(), _ingreso().events.count(), Refund.objects.count()) == before
    assert WebhookEvent.objects.get(pk=row.pk).status == WebhookEvent.PROCESSED
