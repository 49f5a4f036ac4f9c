"""Two workers at once on Conekta and Mercado Pago events (real threads, a file database)."""

from __future__ import annotations

import pytest

from tests.concurrency import race
from tests.factories import NOW, make_org
from tests.unit.payments import conekta_events
from tests.unit.payments.mercadopago_events import (
    ACCESS_TOKEN,
    SECRET,
    FakeMercadoPago,
    body,
    notification,
    payment,
    signature,
)
from timbra import jobs
from timbra.invoicing.models import Invoice
from timbra.payments.gateways import clients
from timbra.payments.gateways.mercadopago import signature_material
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.connections import connect_conekta, connect_mercadopago
from timbra.payments.services.process_event import process_event
from timbra.payments.services.receive_webhook import receive_webhook

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quiet(frozen, monkeypatch):
    """Events are stored, their jobs dropped: the test runs the workers itself."""
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda *a, **k: None)


def _both(event_ids: list[int]) -> list[BaseException]:
    return race(*(lambda i=i: process_event(i, as_of=NOW) for i in event_ids))[1]


def test_two_workers_on_one_conekta_order_and_its_redelivery_make_one_invoice(quiet):
    connection = connect_conekta(make_org(), public_keys=[conekta_events.public_pem()], livemode=False, as_of=NOW)

    def store(data: dict) -> int:
        payload = conekta_events.body(data)
        return receive_webhook(connection, payload, conekta_events.sign(payload), now=NOW).event.pk

    first = store(conekta_events.order_paid())
    second = store(conekta_events.order_paid(event_id="6407b5bee1329a000175b9fb"))

    assert _both([first, first, second]) == []
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.PROCESSED}


def test_two_workers_on_the_created_and_updated_notifications_of_one_payment_make_one_invoice(quiet, monkeypatch):
    fake = FakeMercadoPago()
    fake.add(payment())
    monkeypatch.setattr(clients, "HttpMercadoPagoApi", fake.api)
    connection = connect_mercadopago(make_org(), webhook_secret=SECRET, access_token=ACCESS_TOKEN, livemode=False,
                                     as_of=NOW)

    def store(data: dict) -> int:
        pid = data["data"]["id"]
        material = signature_material(signature(pid, "req-1", int(NOW.timestamp())), "req-1", pid)
        return receive_webhook(connection, body(data), material, now=NOW).event.pk

    created = store(notification(action="payment.created", notification_id=1))
    updated = store(notification(action="payment.updated", notification_id=2))

    assert _both([created, updated]) == []
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.PROCESSED}
