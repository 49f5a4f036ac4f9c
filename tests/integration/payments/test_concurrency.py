"""Two workers at once (real threads, a file database): unique keys keep one of everything."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.concurrency import race
from tests.factories import NOW
from tests.unit.payments.stripe_events import event
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.process_event import process_event

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*targets: Callable[[], object]) -> list[BaseException]:
    return race(*targets)[1]

def test_two_workers_processing_the_same_event_make_one_invoice(stored):
    event_id = stored(event("invoice_paid"))

    errors = _race(lambda: process_event(event_id, as_of=NOW), lambda: process_event(event_id, as_of=NOW))

    assert errors == []
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1 and Customer.objects.count() == 1
    assert WebhookEvent.objects.get().status == WebhookEvent.PROCESSED
    assert Payment.objects.get().invoice_id == Invoice.objects.get().pk


def test_invoice_paid_and_its_charge_processed_at_once_make_one_invoice(stored):
    ids = [stored(event("invoice_paid")), stored(event("charge_succeeded_invoice"))]

    errors = _race(*(lambda i=i: process_event(i, as_of=NOW) for i in ids))

    assert errors == []
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1
    assert Invoice.objects.get().lines.count() == 2  # the invoice's lines, whichever worker won
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.PROCESSED}


def test_two_payments_of_one_new_customer_at_once_create_the_customer_once(stored):
    first = event("invoice_paid")
    second = event(
        "invoice_paid",
        event_id="evt_1QhKx2LkdIwHu7ixAbCdEf02",
        id="in_second",
        payment_intent="pi_second",
        charge="ch_second",
    )
    ids = [stored(first), stored(second)]

    errors = _race(*(lambda i=i: process_event(i, as_of=NOW) for i in ids))

    assert errors == []
    assert Invoice.objects.count() == 2 and Customer.objects.count() == 1
