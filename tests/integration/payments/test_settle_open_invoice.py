"""Gateway money that pays an open PPD invoice is recorded as that invoice's payment (with its
REP), never invoiced a second time as a PUE Ingreso."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_invoice
from tests.unit.payments.stripe_events import event
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.selectors import open_balance

pytestmark = pytest.mark.django_db

CHARGE = "ch_3QhMa1LkdIwHu7ix0ChArG01"
PI = "pi_3QhMa1LkdIwHu7ix0PaYiN01"
D = Decimal


@pytest.fixture
def ppd(org, customer, product, django_capture_on_commit_callbacks):
    """A stamped PPD invoice of 1,158.84 (999.00 + IVA 16 %) for `customer`."""

    def issue() -> Invoice:
        with django_capture_on_commit_callbacks(execute=True):
            invoice = make_invoice(org, customer, product=product, metodo_pago="PPD")
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DELIVERED, invoice.hold_message
        return invoice

    return issue


def charge(cents: int, *, event_id: str | None = None, **metadata: str) -> dict:
    base = event("charge_succeeded_oneoff")["data"]["object"]["metadata"]
    return event("charge_succeeded_oneoff", event_id=event_id, amount=cents, amount_captured=cents,
                 metadata={**base, **metadata})


def ingresos() -> int:
    return Invoice.objects.filter(tipo_de_comprobante="I", metodo_pago="PUE").count()


def test_a_charge_for_exactly_an_open_invoices_balance_pays_it_with_a_rep(connection, deliver, ppd):
    # given one open PPD invoice of 1,158.84
    invoice = ppd()
    # when the customer pays exactly that by card
    deliver(connection, charge(115884))
    # then the payment is applied to the invoice, not invoiced again
    payment = Payment.objects.get()
    assert payment.status == Payment.APPLIED, payment.status_reason
    assert f"Aplicado a la factura PPD {invoice.serie_folio}" in payment.status_reason
    assert payment.get_status_display() == "Aplicado a factura PPD"
    assert ingresos() == 1 - 1 and payment.invoice_id is None
    # and the receivables payment carries the gateway's business key and its REP went out
    received = payment.received_payment
    assert (received.source, received.source_id, received.monto, received.forma_de_pago_p) == (
        "stripe", PI, D("1158.84"), "04")
    assert received.rep_invoice.status == InvoiceStatus.DELIVERED
    assert received.num_operacion == CHARGE
    assert open_balance(invoice) == 0


def test_the_same_money_delivered_again_records_one_payment_and_one_rep(connection, deliver, ppd):
    # given an open invoice paid by a charge
    ppd()
    deliver(connection, charge(115884))
    # when Stripe redelivers it and the PaymentIntent's event arrives too
    deliver(connection, charge(115884, event_id="evt_again_1"))
    deliver(connection, event("payment_intent_succeeded", amount=115884, amount_received=115884))
    # then there is still one received payment and one REP
    assert ReceivedPayment.objects.count() == 1
    assert Invoice.objects.filter(tipo_de_comprobante="P").count() == 1
    assert Payment.objects.get().status == Payment.APPLIED and ingresos() == 0


def test_a_reference_in_the_metadata_applies_a_partial_payment_to_the_named_invoice(connection, deliver, ppd):
    # given two open invoices
    first, second = ppd(), ppd()
    # when 580.00 arrives naming the second one by serie-folio
    deliver(connection, charge(58000, factura=second.serie_folio))
    # then it is the second invoice's first parcialidad
    payment = Payment.objects.get()
    assert payment.status == Payment.APPLIED, payment.status_reason
    (application,) = payment.received_payment.applications.all()
    assert (application.invoice_id, application.num_parcialidad, application.imp_pagado) == (second.pk, 1, D("580.00"))
    assert (open_balance(first), open_balance(second)) == (D("1158.84"), D("578.84"))


def test_the_reference_may_be_the_uuid(connection, deliver, ppd):
    ppd()
    target = ppd()
    deliver(connection, charge(10000, timbra_invoice=target.uuid.lower()))
    assert Payment.objects.get().received_payment.applications.get().invoice_id == target.pk


def test_two_invoices_with_the_same_balance_are_ambiguous_so_the_money_is_invoiced_as_before(
    connection, deliver, ppd
):
    # given two open invoices of 1,158.84 each
    ppd(), ppd()
    # when a charge of 1,158.84 names neither
    deliver(connection, charge(115884))
    # then nothing is guessed: the payment gets its own Ingreso PUE, as before
    payment = Payment.objects.get()
    assert payment.status == Payment.INVOICED and ingresos() == 1
    assert ReceivedPayment.objects.count() == 0


def test_an_amount_matching_no_open_invoice_is_invoiced_as_a_sale(connection, deliver, ppd):
    ppd()
    deliver(connection, charge(58000))
    assert Payment.objects.get().status == Payment.INVOICED and ReceivedPayment.objects.count() == 0


def test_a_reference_to_an_invoice_owed_less_than_paid_fails_visibly_without_an_invoice(
    connection, deliver, ppd
):
    # given an open invoice of 1,158.84
    invoice = ppd()
    # when 2,000.00 arrives naming it
    deliver(connection, charge(200000, factura=invoice.serie_folio))
    # then it is neither applied nor invoiced, and the reason says why
    payment = Payment.objects.get()
    assert payment.status == Payment.FAILED
    assert f"corresponde a la factura {invoice.serie_folio}" in payment.status_reason
    assert ingresos() == 0 and ReceivedPayment.objects.count() == 0
