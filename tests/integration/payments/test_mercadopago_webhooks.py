"""POST /hooks/mercadopago/<token>: the notification is stored; the job fetches the payment and
invoices it once, whatever the notifications; its refunds credit it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import NOW
from tests.unit.payments.mercadopago_events import (
    ACCESS_TOKEN,
    PAYMENT_ID,
    body,
    notification,
    payment,
    refunded,
)
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.gateways.base import GatewayUnavailable
from timbra.payments.models import Payment, Refund, WebhookEvent
from timbra.payments.services.connections import connect_mercadopago, set_api_key
from timbra.payments.services.process_event import process_event

pytestmark = pytest.mark.django_db

CREATED = notification(action="payment.created", notification_id=118574630412)
UPDATED = notification(action="payment.updated", notification_id=118574630999)


def test_a_notification_is_stored_then_the_job_fetches_the_payment_and_invoices_it(mercadopago, fake_mp, post_hook):
    fake_mp.add(payment())

    response = post_hook.mercadopago(mercadopago, CREATED)

    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    stored = WebhookEvent.objects.get()
    assert (stored.payload.encode(), stored.object_id, stored.status) == (body(CREATED), PAYMENT_ID,
                                                                          WebhookEvent.PROCESSED)
    assert fake_mp.tokens_seen == [ACCESS_TOKEN] and fake_mp.calls == [f"payment {PAYMENT_ID}"]
    invoice = Invoice.objects.get()
    assert (invoice.source, invoice.source_id, invoice.status) == ("mercadopago", PAYMENT_ID, InvoiceStatus.DELIVERED)
    assert (invoice.total, invoice.forma_pago, invoice.customer.rfc) == (Decimal("1160.00"), "04", "URE180429TM6")
    assert (Payment.objects.get().fee, Payment.objects.get().net) == (Decimal("54.87"), Decimal("1105.13"))


def test_the_webhook_request_never_calls_mercado_pago(mercadopago, fake_mp, post_hook, monkeypatch):
    fake_mp.add(payment())
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda *a, **k: None)  # the job has not run yet

    post_hook.mercadopago(mercadopago, CREATED)

    assert fake_mp.calls == [] and WebhookEvent.objects.get().status == WebhookEvent.RECEIVED


def test_created_updated_and_repeated_notifications_of_one_payment_make_one_invoice(mercadopago, fake_mp, post_hook):
    fake_mp.add(payment())

    post_hook.mercadopago(mercadopago, UPDATED)  # out of order: the update first
    post_hook.mercadopago(mercadopago, CREATED)
    again = post_hook.mercadopago(mercadopago, CREATED, request_id="a-retry")

    assert again.json()["duplicate"] is True
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1 and WebhookEvent.objects.count() == 2


def test_while_mercado_pago_is_down_the_event_fails_visibly_and_a_retry_invoices_it(mercadopago, fake_mp, post_hook,
                                                                                       monkeypatch):
    fake_mp.add(payment())
    fake_mp.down = True
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda *a, **k: None)
    post_hook.mercadopago(mercadopago, CREATED)
    event = WebhookEvent.objects.get()

    with pytest.raises(GatewayUnavailable):
        process_event(event.pk, as_of=NOW)
    event.refresh_from_db()
    assert event.status == WebhookEvent.FAILED and "se reintentará" in event.reason

    fake_mp.down = False
    assert process_event(event.pk, as_of=NOW).status == WebhookEvent.PROCESSED
    assert Invoice.objects.count() == 1


def test_without_an_access_token_events_wait_until_one_is_added(org, fake_mp, post_hook):
    from tests.unit.payments.mercadopago_events import SECRET

    connection = connect_mercadopago(org, webhook_secret=SECRET, livemode=False, as_of=NOW)
    fake_mp.add(payment())
    post_hook.mercadopago(connection, CREATED)
    assert WebhookEvent.objects.get().status == WebhookEvent.WAITING and Invoice.objects.count() == 0

    with post_hook.capture(execute=True):
        set_api_key(connection, ACCESS_TOKEN, as_of=NOW)

    assert WebhookEvent.objects.get().status == WebhookEvent.PROCESSED and Invoice.objects.count() == 1


def test_a_refund_notified_as_an_update_credits_the_invoice_once(mercadopago, fake_mp, post_hook):
    fake_mp.add(payment())
    post_hook.mercadopago(mercadopago, CREATED)
    fake_mp.add(refunded(payment(), [(2145963357, "1160")], updated="2026-11-20T10:30:00.000-06:00"))

    post_hook.mercadopago(mercadopago, UPDATED)
    post_hook.mercadopago(mercadopago, notification(action="payment.updated", notification_id=118574631000))

    refund = Refund.objects.get()
    assert (refund.refund_id, refund.amount, refund.status) == ("2145963357", Decimal("1160.00"), Refund.CREDITED)
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


def test_a_stale_or_foreign_signature_is_rejected_and_nothing_is_stored(mercadopago, fake_mp, post_hook):
    from tests.unit.payments.mercadopago_events import OTHER_SECRET

    stale = post_hook.mercadopago(mercadopago, CREATED, ts=int(NOW.timestamp()) - 3600)
    foreign = post_hook.mercadopago(mercadopago, CREATED, secret=OTHER_SECRET)

    assert stale.json()["error"]["code"] == "signature_stale"
    assert foreign.json()["error"]["code"] == "signature_invalid"
    assert WebhookEvent.objects.count() == 0 and fake_mp.calls == []
