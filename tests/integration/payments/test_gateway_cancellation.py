"""Issue 11: a voided Stripe invoice or the refund of a whole charge cancels the CFDI at the SAT, when
the org chose so (off by default: flagged for a person, or credited with a nota de crédito)."""

from __future__ import annotations

import pytest

from tests.factories import NOW
from tests.unit.payments.stripe_events import event
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.cancel_settings import configure_cancellation
from timbra.invoicing.models import Invoice
from timbra.payments.models import Refund

pytestmark = pytest.mark.django_db


def _ingreso() -> Invoice:
    return Invoice.objects.get(tipo_de_comprobante="I")


def test_a_void_cancels_the_cfdi_with_motive_02_when_the_org_chose_so(connection, deliver):
    configure_cancellation(connection.org, cancel_on_gateway_void=True, cancel_on_full_refund=False, as_of=NOW)
    deliver(connection, event("invoice_paid"))
    deliver(connection, event("invoice_voided"))
    deliver(connection, event("invoice_voided", event_id="evt_again_days_later"))
    invoice = _ingreso()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancellation_motive == "02"
    assert invoice.events.filter(kind="cancellation_requested").count() == 1
    assert invoice.events.get(kind="cancellation_requested").actor == "stripe"


def test_a_refund_of_the_whole_charge_cancels_with_motive_03_instead_of_crediting(connection, deliver):
    configure_cancellation(connection.org, cancel_on_gateway_void=False, cancel_on_full_refund=True, as_of=NOW)
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("refund_created", event_id="evt_full", id="re_full", amount=58000,
                              balance_transaction=None))
    invoice = _ingreso()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancellation_motive == "03"
    assert not Invoice.objects.filter(tipo_de_comprobante="E").exists()
    refund = Refund.objects.get(refund_id="re_full")
    assert refund.status == Refund.VOID and "motivo 03" in refund.status_reason


def test_a_partial_refund_is_still_credited_with_an_egreso(connection, deliver):
    configure_cancellation(connection.org, cancel_on_gateway_void=False, cancel_on_full_refund=True, as_of=NOW)
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("charge_refunded_partial"))
    assert _ingreso().status == InvoiceStatus.DELIVERED
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


def test_by_default_a_full_refund_is_credited_and_a_void_only_flagged(connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    deliver(connection, event("refund_created", event_id="evt_full", id="re_full", amount=58000,
                              balance_transaction=None))
    assert _ingreso().status == InvoiceStatus.DELIVERED
    assert Invoice.objects.get(tipo_de_comprobante="E").total == _ingreso().total
