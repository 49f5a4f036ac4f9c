"""Exactly one CFDI per payment whatever the order of its events, or a crash mid-way
(reference/reliability.md §2.2 E1, E2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import NOW
from tests.unit.payments.stripe_events import event
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services import invoice_payment as invoice_payment_module
from timbra.payments.services.process_event import process_event

pytestmark = pytest.mark.django_db

SUBSCRIPTION_PI = "pi_3QhKx0LkdIwHu7ix1AbCdE01"
ONE_OFF_PI = "pi_3QhMa1LkdIwHu7ix0PaYiN01"


def _event(event_id: str) -> WebhookEvent:
    return WebhookEvent.objects.get(event_id=event_id)


def test_invoice_paid_then_its_charge_makes_one_invoice(connection, deliver):
    invoice_paid, charge = event("invoice_paid"), event("charge_succeeded_invoice")

    deliver(connection, invoice_paid)
    deliver(connection, charge)

    invoice = Invoice.objects.get()
    assert invoice.source_id == SUBSCRIPTION_PI and invoice.status == InvoiceStatus.DELIVERED
    payment = Payment.objects.get()
    assert payment.invoice_id == invoice.pk and payment.charge_id == "ch_3QhKx0LkdIwHu7ix1MnOpQ01"
    assert payment.balance_transaction_id == "txn_3QhKx0LkdIwHu7ix1BaLtX01"  # the charge filled the blank
    assert _event(charge["id"]).status == WebhookEvent.PROCESSED
    assert _event(charge["id"]).invoice_id == invoice.pk


def test_a_charge_of_a_stripe_invoice_arriving_first_waits_for_invoice_paid_then_one_invoice(
    connection, deliver
):
    charge, invoice_paid = event("charge_succeeded_invoice"), event("invoice_paid")
    # when the charge (with `invoice` set) comes first
    deliver(connection, charge)
    # then it is recorded but never invoiced on its own (its invoice.paid will do it)
    payment = Payment.objects.get()
    assert Invoice.objects.count() == 0 and payment.invoiceable is False
    assert "in_1QhKwzLkdIwHu7ixGhIjKl01" in payment.status_reason
    # when invoice.paid arrives
    deliver(connection, invoice_paid)
    # then one invoice with the invoice's lines and the charge's real payment method (debit card: 28)
    invoice = Invoice.objects.get()
    assert invoice.lines.count() == 2 and invoice.forma_pago == "28"
    payment.refresh_from_db()
    assert payment.status == Payment.INVOICED and payment.payment_method == "card/debit"


def test_one_off_charge_and_its_payment_intent_make_one_invoice_with_fees_kept(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("payment_intent_succeeded"))

    invoice = Invoice.objects.get()
    assert (invoice.source_id, invoice.forma_pago, invoice.total) == (ONE_OFF_PI, "04", Decimal("580.00"))
    assert invoice.lines.get().descripcion == "Curso de robótica (pago único)"
    payment = Payment.objects.get()
    assert (payment.fee, payment.net, payment.settlement_currency) == (
        Decimal("23.78"),
        Decimal("556.22"),
        "MXN",
    )
    assert WebhookEvent.objects.filter(status=WebhookEvent.PROCESSED).count() == 2


def test_a_payment_intent_first_waits_for_fiscal_data_and_its_charge_completes_it(connection, deliver):
    # given the PaymentIntent carries no address (Stripe keeps billing details on the charge)
    deliver(connection, event("payment_intent_succeeded"))
    payment = Payment.objects.get()
    assert payment.status == Payment.AWAITING_FISCAL_DATA and "código postal" in payment.status_reason
    # when the charge arrives with the billing address
    deliver(connection, event("charge_succeeded_oneoff"))
    # then the same payment is invoiced once, with the charge's known method
    payment.refresh_from_db()
    assert payment.status == Payment.INVOICED and payment.source_kind == "charge"
    assert Invoice.objects.get().forma_pago == "04" and Payment.objects.count() == 1


def test_payment_intent_then_charge_with_a_known_customer_makes_one_invoice(connection, deliver, customer):
    deliver(connection, event("payment_intent_succeeded"))
    deliver(connection, event("charge_succeeded_oneoff"))

    invoice = Invoice.objects.get()
    assert invoice.customer_id == customer.pk and Payment.objects.get().fee == Decimal("23.78")


def test_a_crash_after_the_invoice_is_created_is_finished_by_the_retry_without_a_second_invoice(
    connection, deliver, monkeypatch
):
    # given a worker that dies right after creating the invoice
    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(invoice_payment_module, "mark_invoiced", crash)
    data = event("invoice_paid")
    assert deliver(connection, data).status_code == 200  # stored and acknowledged regardless
    stored = _event(data["id"])
    assert stored.status == WebhookEvent.FAILED and "se reintentará" in stored.reason
    assert Invoice.objects.count() == 1 and Payment.objects.get().status == Payment.PENDING
    # when the job runs again
    monkeypatch.undo()
    process_event(stored.pk, as_of=NOW)
    # then the same invoice is found and recorded, not a second one
    stored.refresh_from_db()
    invoice = Invoice.objects.get()
    assert stored.status == WebhookEvent.PROCESSED and stored.invoice_id == invoice.pk
    assert Payment.objects.get().invoice_id == invoice.pk


def test_reprocessing_a_processed_event_does_nothing(connection, deliver):
    data = event("invoice_paid")
    deliver(connection, data)
    stored = _event(data["id"])

    process_event(stored.pk, as_of=NOW)

    assert Invoice.objects.count() == 1 and _event(data["id"]).attempts == stored.attempts


def test_an_uncaptured_charge_is_ignored_with_a_reason(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff", captured=False, amount_captured=0))

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.IGNORED and "sin capturar" in stored.reason
    assert Payment.objects.count() == 0


def test_an_event_type_not_handled_yet_is_stored_and_ignored(connection, deliver):
    data = event("charge_succeeded_oneoff")
    data["type"] = "payout.paid"

    assert deliver(connection, data).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.IGNORED and "payout.paid" in stored.reason


def test_a_live_event_on_a_test_connection_is_ignored(connection, deliver):
    data = event("invoice_paid")
    data["livemode"] = True

    deliver(connection, data)

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.IGNORED and Invoice.objects.count() == 0


def test_a_zero_amount_invoice_is_ignored(connection, deliver):
    deliver(connection, event("invoice_paid", amount_paid=0, total=0))

    assert WebhookEvent.objects.get().status == WebhookEvent.IGNORED and Invoice.objects.count() == 0


def test_a_payment_that_cannot_be_invoiced_leaves_its_event_failed_with_the_reason(
    connection, deliver, monkeypatch
):
    # given invoicing refuses the request (as create_invoice does for input it cannot use)
    def refuse(*args, **kwargs):
        raise InvoicingError("tax_invalid", "Impuesto desconocido: IVA99.")

    monkeypatch.setattr(invoice_payment_module, "create_invoice", refuse)

    deliver(connection, event("invoice_paid"))

    stored = WebhookEvent.objects.get()
    payment = Payment.objects.get()
    assert payment.status == Payment.FAILED and stored.status == WebhookEvent.FAILED
    assert (
        stored.reason == payment.status_reason == "No se pudo crear la factura: Impuesto desconocido: IVA99."
    )
    assert Invoice.objects.count() == 0


def test_a_charge_description_with_a_control_character_is_cleaned_and_stamped_never_stuck(connection, deliver):
    # issue 10, defect 9: "\u0003" in a Stripe description left the invoice in draft with no reason and
    # crashed the workers on every sweep. Gateway text is ours to write, so it is cleaned.
    deliver(connection, event("charge_succeeded_oneoff", description="Curso de robótica\u0003 | pago único"))
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.DELIVERED, (invoice.hold_code, invoice.hold_message)
    assert invoice.lines.get().descripcion.startswith("Curso de robótica pago único")


def test_whatever_slips_past_the_rules_holds_the_invoice_with_a_reason_instead_of_crashing(connection, deliver):
    # given a draft whose stored data cannot become a CFDI (a tax amount outside SAT's tolerance,
    # which only a damaged row could hold)
    from django.utils import timezone

    from tests.factories import make_customer, make_invoice
    from timbra.invoicing.models import InvoiceLine
    from timbra.invoicing.process import process_invoice

    invoice = make_invoice(connection.org, make_customer(connection.org))
    InvoiceLine.objects.filter(invoice=invoice).update(tax_importes=["9999.00"])
    # when a worker takes it
    processed = process_invoice(invoice.pk, as_of=timezone.now())
    # then it is held, saying what to do, and no sweeper will pick it up again as a draft
    assert (processed.status, processed.hold_code) == (InvoiceStatus.HELD, "xml_invalido")
    assert "Revisa" in processed.hold_message
