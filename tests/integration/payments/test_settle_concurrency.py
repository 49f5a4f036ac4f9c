"""Two workers settling the same gateway money against an open PPD invoice at once (real threads):
the (provider, payment key) business key keeps one received payment, one REP, no Ingreso."""

from __future__ import annotations

import pytest

from tests.concurrency import race
from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from tests.unit.payments.stripe_events import SECRET, body, event, sign
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.payments.services.connections import connect_stripe
from timbra.payments.services.process_event import process_event
from timbra.payments.services.receive_webhook import receive_webhook
from timbra.receivables.models import ReceivedPayment

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_applying_one_charge_to_an_open_invoice_record_it_once(frozen, monkeypatch):
    # given a stamped PPD invoice of 1,158.84 (the pipeline runs inline on commit)
    org = make_org()
    invoice = make_invoice(org, make_customer(org), product=make_product(org), metodo_pago="PPD")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED
    # and a charge for exactly that, stored but not processed (its job is dropped)
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    payload = body(event("charge_succeeded_oneoff", amount=115884, amount_captured=115884))
    stored = receive_webhook(connection, payload, sign(payload, SECRET, timestamp=int(NOW.timestamp())), now=NOW)
    # when two workers process it at the same instant
    _, errors = race(*(lambda: process_event(stored.event.pk, as_of=NOW) for _ in range(2)))
    # then one received payment, one REP, and no Ingreso for the same money
    assert errors == []
    assert ReceivedPayment.objects.count() == 1
    assert Invoice.objects.filter(tipo_de_comprobante="P").count() == 1
    assert not Invoice.objects.filter(metodo_pago="PUE").exists()
    assert Payment.objects.get().status == Payment.APPLIED
