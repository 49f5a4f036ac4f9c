"""Signed but hostile webhook bodies are stored, then rejected visibly; never a 500, never lost
(issue 14 §1). A chunked body without Content-Length is read, or refused with 411."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.integration.dashboard.conftest import make_staff
from tests.unit.payments.stripe_events import body, event, sign
from timbra.payments.models import Payment, WebhookEvent

pytestmark = pytest.mark.django_db


INVOICE_PAID_ID = event("invoice_paid")["id"]


@pytest.fixture
def client_in(org) -> Client:
    client = Client()
    client.force_login(make_staff(org))
    return client


def _with_created(value):
    data = event("invoice_paid")
    data["created"] = value
    return body(data)


@pytest.mark.parametrize(("payload", "event_id"), [
    (_with_created("ayer"), INVOICE_PAID_ID),
    (_with_created(1e30), INVOICE_PAID_ID),
    (_with_created([1]), INVOICE_PAID_ID),
    (b"[" * 100_000 + b"]" * 100_000, None),
])
def test_a_signed_but_malformed_event_is_stored_and_rejected_with_its_reason(connection, deliver, payload, event_id):
    # when Stripe (or someone with the signing secret) sends it, twice
    first = deliver(connection, payload)
    again = deliver(connection, payload)
    # then both are acknowledged, one row is kept with a reason, and nothing is processed
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["rejected"]["code"] in ("payload_malformed", "payload_not_json")
    assert again.json()["duplicate"] is True
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.REJECTED and stored.reason.startswith("Evento rechazado:")
    assert stored.payload.encode() == payload
    if event_id:
        assert stored.event_id == event_id and stored.event_type == "invoice.paid"
    else:
        assert stored.event_id.startswith("sin-id:")
    assert Payment.objects.count() == 0


def test_a_rejected_event_shows_its_status_and_reason_on_the_events_pages(connection, deliver, client_in):
    # given a stored, rejected, deeply nested body
    deliver(connection, b"[" * 100_000 + b"]" * 100_000)
    stored = WebhookEvent.objects.get()
    # when a person opens Eventos and the event
    listing = client_in.get(reverse("dashboard:events"), {"status": "rejected"})
    detail = client_in.get(reverse("dashboard:event_detail", args=[stored.pk]))
    # then both pages answer and say why
    assert listing.status_code == 200 and "Rechazado" in listing.content.decode()
    assert detail.status_code == 200 and "Evento rechazado" in detail.content.decode()
    assert "Reprocesar" not in detail.content.decode()


def _chunked(connection, payload, *, terminated):
    header = sign(payload, timestamp=int(timezone.now().timestamp()))
    return Client().generic(
        "POST", f"/hooks/stripe/{connection.webhook_token}", data=b"", content_type="application/json",
        headers={"Stripe-Signature": header},
        **{"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(payload),
           "wsgi.input_terminated": terminated},
    )


def test_a_chunked_body_without_content_length_is_read_and_stored(connection):
    # given a server that de-chunks the body (gunicorn sets wsgi.input_terminated)
    payload = body(event("invoice_paid"))
    # when
    response = _chunked(connection, payload, terminated=True)
    # then it is verified and stored byte for byte
    assert response.status_code == 200, response.content
    assert WebhookEvent.objects.get().payload.encode() == payload


def test_a_chunked_body_a_server_cannot_end_is_a_clear_411(connection):
    response = _chunked(connection, json.dumps({"x": 1}).encode(), terminated=False)

    assert response.status_code == 411
    assert response.json()["error"]["code"] == "length_required"
    assert WebhookEvent.objects.count() == 0


def _charge_of(amount):
    data = event("charge_succeeded_oneoff")
    data["data"]["object"].update(amount=amount, amount_captured=amount)
    return data


def test_a_gateway_amount_no_integer_column_holds_is_refused_at_the_edge_with_a_reason(connection, deliver):
    # when Stripe reports 10^20 centavos
    response = deliver(connection, _charge_of(10**20))
    # then the event is kept, rejected with a Spanish reason, and no payment is recorded
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.REJECTED
    assert "excede lo que un CFDI puede amparar" in stored.reason
    assert Payment.objects.count() == 0


def test_a_gateway_amount_beyond_a_cfdi_holds_the_payment_with_a_reason_never_unexpected(connection, deliver):
    # when Stripe reports 10^16 centavos (10^14 pesos: a valor unitario no CFDI carries)
    deliver(connection, _charge_of(10**16))
    # then the payment is not left pending: it says why, and nothing says "inesperado"
    payment = Payment.objects.get()
    assert payment.status == Payment.FAILED and "valor unitario" in payment.status_reason
    assert "inesperado" not in WebhookEvent.objects.get().reason
