"""POST /hooks/stripe/<token>: verified, stored, committed, acknowledged; everything else refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import OperationalError

from tests.unit.payments.stripe_events import OTHER_SECRET, SECRET, body, event, sign
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.connections import add_signing_secret, remove_signing_secret, signing_secrets

pytestmark = pytest.mark.django_db


def _rejections(connection: GatewayConnection) -> int:
    return GatewayConnection.objects.get(pk=connection.pk).rejected_signatures


def test_a_signed_invoice_paid_is_stored_processed_and_becomes_one_delivered_invoice(connection, deliver):
    # given a real invoice.paid for a customer with an mx_rfc tax id
    data = event("invoice_paid")
    # when Stripe delivers it
    response = deliver(connection, data)
    # then it is acknowledged, stored byte for byte, and invoiced once, end to end
    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    stored = WebhookEvent.objects.get()
    assert stored.payload.encode() == body(data)
    assert (stored.org_id, stored.event_id, stored.status) == (
        connection.org_id,
        data["id"],
        WebhookEvent.PROCESSED,
    )
    invoice = Invoice.objects.get()
    assert stored.invoice_id == invoice.pk and invoice.status == InvoiceStatus.DELIVERED and invoice.uuid
    assert (invoice.source, invoice.source_id) == ("stripe", "pi_3QhKx0LkdIwHu7ix1AbCdE01")
    assert invoice.total == 1160 and invoice.forma_pago == "04" and invoice.metodo_pago == "PUE"
    assert (
        invoice.customer.rfc == "URE180429TM6" and invoice.customer.external_id == "stripe:cus_R9aBcDeFgHiJ01"
    )
    assert [line.descripcion for line in invoice.lines.all()] == [
        "1 × Plan Pro (at $999.00 / month)",
        "2 × Usuario adicional (at $100.00 / month)",
    ]
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cuentas@robotica.example"]
    connection.refresh_from_db()
    assert connection.last_event_at is not None


def test_a_wrong_signature_is_rejected_counted_and_nothing_is_stored(connection, deliver):
    response = deliver(connection, event("invoice_paid"), secrets=(OTHER_SECRET,))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_invalid"
    assert WebhookEvent.objects.count() == 0 and Payment.objects.count() == 0 and Invoice.objects.count() == 0
    assert _rejections(connection) == 1


def test_a_body_changed_after_signing_is_rejected(connection, deliver):
    payload = body(event("invoice_paid"))
    header = sign(payload, SECRET, timestamp=int(connection.created_at.timestamp()))
    tampered = payload.replace(b"116000", b"100")

    response = deliver(connection, tampered, header=header)

    assert response.status_code == 400 and WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("header", ["", "t=abc,v1=zz", "v1=deadbeef"])
def test_a_missing_or_malformed_signature_header_is_rejected(connection, deliver, header):
    response = deliver(connection, event("invoice_paid"), header=header)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"signature_missing", "signature_invalid"}
    assert WebhookEvent.objects.count() == 0 and _rejections(connection) == 1


def test_a_signature_older_than_five_minutes_is_rejected_as_stale(connection, deliver, frozen):
    signed_at = int(connection.created_at.timestamp()) - 301

    response = deliver(connection, event("invoice_paid"), timestamp=signed_at)

    assert response.status_code == 400 and response.json()["error"]["code"] == "signature_stale"
    assert WebhookEvent.objects.count() == 0 and _rejections(connection) == 1


def test_a_signature_within_the_tolerance_is_accepted(connection, deliver):
    signed_at = int(connection.created_at.timestamp()) - 299
    data = event("invoice_paid")

    assert deliver(connection, data, timestamp=signed_at).status_code == 200
    # the 200 means stored (issue 14 §4): the row is there, byte for byte, in this org
    stored = WebhookEvent.objects.get()
    assert (stored.org_id, stored.connection_id, stored.event_id) == (connection.org_id, connection.pk, data["id"])
    assert stored.payload.encode() == body(data) and stored.status == WebhookEvent.PROCESSED


def test_an_unknown_token_is_404_and_stores_nothing(connection, deliver):
    response = deliver(connection, event("invoice_paid"), token="no-such-token")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert WebhookEvent.objects.count() == 0 and _rejections(connection) == 0


def test_a_disabled_connection_answers_404(connection, deliver):
    GatewayConnection.objects.filter(pk=connection.pk).update(status=GatewayConnection.DISABLED)

    assert deliver(connection, event("invoice_paid")).status_code == 404
    assert WebhookEvent.objects.count() == 0


def test_a_signed_body_that_is_not_json_is_stored_as_rejected_with_its_reason(connection, deliver):
    # when a correctly signed body is not JSON
    response = deliver(connection, b"esto no es json")
    # then it is acknowledged (kept: the gateway need not retry), stored and rejected visibly
    assert response.status_code == 200
    assert response.json()["rejected"] == {"code": "payload_not_json", "message": "El cuerpo no es JSON válido."}
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.REJECTED and stored.payload == "esto no es json"
    assert stored.reason == "Evento rechazado: El cuerpo no es JSON válido."
    assert _rejections(connection) == 0 and Payment.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        b"[1, 2]",
        b'{"object": "charge", "id": "ch_1"}',
        b'{"object": "event", "id": "evt_1", "type": "charge.succeeded"}',
    ],
)
def test_a_signed_json_that_is_not_an_event_is_stored_as_rejected(connection, deliver, payload):
    response = deliver(connection, payload)

    assert response.status_code == 200 and response.json()["rejected"]["code"] == "payload_not_event"
    assert "evento" in response.json()["rejected"]["message"]
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.REJECTED and "evento" in stored.reason
    assert Payment.objects.count() == 0


def test_a_body_over_the_size_limit_is_refused(connection, deliver):
    huge = event("invoice_paid", description="x" * 600_000)

    assert deliver(connection, huge).status_code == 413
    assert WebhookEvent.objects.count() == 0


def test_get_is_not_allowed(connection, client):
    assert client.get(f"/hooks/stripe/{connection.webhook_token}").status_code == 405


def test_while_rotating_both_the_old_and_the_new_secret_are_accepted(connection, deliver):
    # given a second secret added during a rotation
    add_signing_secret(connection, OTHER_SECRET, as_of=connection.created_at)
    # when one event is signed with the old secret, another with the new, a third with both (Stripe's header)
    old = deliver(connection, event("invoice_paid"), secrets=(SECRET,))
    new = deliver(connection, event("charge_succeeded_oneoff"), secrets=(OTHER_SECRET,))
    both = deliver(
        connection, event("charge_succeeded_usd"), secrets=("whsec_unrelated_value_xxxx", OTHER_SECRET)
    )
    # then all are accepted
    assert [old.status_code, new.status_code, both.status_code] == [200, 200, 200]
    assert WebhookEvent.objects.count() == 3


def test_after_removing_the_old_secret_it_is_rejected(connection, deliver):
    add_signing_secret(connection, OTHER_SECRET, as_of=connection.created_at)
    old_id = connection.signing_secret_hints[0]["id"]
    remove_signing_secret(connection, old_id, as_of=connection.created_at)

    assert signing_secrets(connection) == [OTHER_SECRET]
    assert deliver(connection, event("invoice_paid"), secrets=(SECRET,)).status_code == 400
    assert deliver(connection, event("invoice_paid"), secrets=(OTHER_SECRET,)).status_code == 200
    assert WebhookEvent.objects.get().event_id == event("invoice_paid")["id"]


def test_a_database_failure_is_not_acknowledged_so_stripe_retries(connection, deliver, monkeypatch):
    # given the database refuses the insert
    def broken_save(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(WebhookEvent, "save", broken_save)
    # when Stripe delivers
    response = deliver(connection, event("invoice_paid"))
    # then the answer is not 2xx (Stripe retries for up to 3 days) and nothing was half-done
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"
    monkeypatch.undo()
    assert WebhookEvent.objects.count() == 0 and Invoice.objects.count() == 0
    # and the retry goes through, stored once
    assert deliver(connection, event("invoice_paid")).status_code == 200
    assert Invoice.objects.count() == 1
    assert WebhookEvent.objects.get().invoice_id == Invoice.objects.get().pk


def test_duplicate_delivery_seconds_apart_keeps_one_row_and_one_invoice(connection, deliver, frozen):
    data = event("invoice_paid")
    first = deliver(connection, data)
    frozen.shift(timedelta(seconds=1))

    second = deliver(connection, data)

    assert (
        first.json()["duplicate"] is False
        and second.status_code == 200
        and second.json()["duplicate"] is True
    )
    assert WebhookEvent.objects.count() == 1 and Invoice.objects.count() == 1 and Payment.objects.count() == 1
    assert len(mail.outbox) == 1


def test_duplicate_delivery_three_days_later_keeps_one_row_and_one_invoice(connection, deliver, frozen):
    data = event("invoice_paid")
    deliver(connection, data)
    frozen.shift(timedelta(days=3))  # Stripe's live-mode retry horizon; it re-signs with a new t

    again = deliver(connection, data)

    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert WebhookEvent.objects.count() == 1 and Invoice.objects.count() == 1
    assert WebhookEvent.objects.get().attempts == 1  # the redelivery did no work
