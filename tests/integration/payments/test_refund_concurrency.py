"""Two workers at once on refunds (real threads, a file database): one Egreso per refund,
and the refunds of one payment never credit more than its CFDI, whoever wins."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.concurrency import race
from tests.factories import NOW
from tests.unit.payments.stripe_events import event
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.payments.models import Payment, Refund, WebhookEvent
from timbra.payments.services.process_event import process_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stamped_charge(stored):
    """The one-off charge of 580.00, invoiced and stamped."""
    process_event(stored(event("charge_succeeded_oneoff")), as_of=NOW)
    invoice = process_invoice(Invoice.objects.get().pk, as_of=NOW)
    assert invoice.uuid
    return invoice


def _refund(refund_id: str, amount: int) -> dict:
    return event("refund_created", event_id=f"evt_{refund_id}", id=refund_id, amount=amount, balance_transaction=None)


def test_two_workers_processing_the_same_refund_make_one_egreso(stored, stamped_charge):
    event_id = stored(event("charge_refunded_partial"))

    _, errors = race(lambda: process_event(event_id, as_of=NOW), lambda: process_event(event_id, as_of=NOW))

    assert errors == []
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1
    assert Payment.objects.get().refunded == Decimal("200.00")
    assert WebhookEvent.objects.get(pk=event_id).status == WebhookEvent.PROCESSED


def test_two_refund_events_of_one_refund_at_once_make_one_egreso(stored, stamped_charge):
    ids = [stored(event("charge_refunded_partial")), stored(_refund("re_3QhMa1LkdIwHu7ix0ReFuN01", 20000))]

    _, errors = race(*(lambda i=i: process_event(i, as_of=NOW) for i in ids))

    assert errors == []
    assert Refund.objects.count() == 1 and Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


def test_two_refunds_that_together_exceed_the_cfdi_credit_only_one(stored, stamped_charge):
    # each 400.00 of a 580.00 CFDI: both fit alone, not together
    ids = [stored(_refund("re_a", 40000)), stored(_refund("re_b", 40000))]

    _, errors = race(*(lambda i=i: process_event(i, as_of=NOW) for i in ids))

    assert errors == []
    statuses = sorted(Refund.objects.values_list("status", flat=True))
    assert statuses == [Refund.CREDITED, Refund.HELD]
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1
    assert Payment.objects.get().refunded == Decimal("400.00")
