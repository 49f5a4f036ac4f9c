"""API versions ≥ 2025-03-31.basil drop `invoice.charge` and `charge.invoice`: without them
the event cannot say whether a charge belongs to a Stripe invoice, so Timbra asks Stripe's
API (restricted key) or waits; it never guesses into a double invoice. Also foreign currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe

from tests.factories import NOW
from tests.unit.payments.fake_stripe import FakeStripe
from tests.unit.payments.stripe_events import event
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.connections import set_api_key

pytestmark = pytest.mark.django_db

BASIL_INVOICE = "in_1SbZq1LkdIwHu7ixBaSiL001"
BASIL_PI = "pi_3SbZq2LkdIwHu7ix0BaSiL01"
API_KEY = "rk_test_51PkdIwHu7ixRestrictedKey0001"


@pytest.fixture
def fake_stripe(monkeypatch) -> FakeStripe:
    fake = FakeStripe()
    fake.pay_invoice(BASIL_INVOICE, BASIL_PI)
    monkeypatch.setattr(stripe, "StripeClient", fake.client)
    return fake


def _statuses() -> dict[str, str]:
    return dict(WebhookEvent.objects.values_list("event_type", "status"))


def test_without_an_api_key_basil_invoice_and_charge_wait_with_the_reason(connection, deliver):
    deliver(connection, event("invoice_paid_basil"))
    deliver(connection, event("charge_succeeded_basil"))

    assert _statuses() == {"invoice.paid": "waiting", "charge.succeeded": "waiting"}
    assert all("llave restringida" in r for r in WebhookEvent.objects.values_list("reason", flat=True))
    assert Payment.objects.count() == 0 and Invoice.objects.count() == 0


@pytest.mark.parametrize(
    "order",
    [("invoice_paid_basil", "charge_succeeded_basil"), ("charge_succeeded_basil", "invoice_paid_basil")],
)
def test_with_an_api_key_basil_events_make_one_invoice_in_either_order(
    connection, deliver, fake_stripe, order
):
    set_api_key(connection, API_KEY, as_of=NOW)

    for name in order:
        deliver(connection, event(name))

    invoice = Invoice.objects.get()
    assert (
        invoice.source_id == BASIL_PI
        and invoice.lines.get().no_identificacion == "price_1PqRsTLkdIwHu7ixPro00001"
    )
    assert invoice.forma_pago == "04"
    assert _statuses() == {"invoice.paid": "processed", "charge.succeeded": "processed"}
    assert fake_stripe.keys_seen and set(fake_stripe.keys_seen) == {API_KEY}


def test_waiting_events_are_processed_once_the_api_key_is_added(
    connection, deliver, fake_stripe, django_capture_on_commit_callbacks
):
    deliver(connection, event("charge_succeeded_basil"))
    deliver(connection, event("invoice_paid_basil"))
    assert Invoice.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        set_api_key(connection, API_KEY, as_of=NOW)

    assert Invoice.objects.count() == 1
    assert _statuses() == {"invoice.paid": "processed", "charge.succeeded": "processed"}


def test_a_charge_without_customer_needs_no_lookup_it_cannot_be_a_stripe_invoice(connection, deliver):
    deliver(
        connection,
        event(
            "charge_succeeded_basil",
            customer=None,
            metadata={
                "rfc": "URE180429TM6",
                "razon_social": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
                "regimen_fiscal": "601",
            },
        ),
    )

    assert Invoice.objects.get().source_id == BASIL_PI


def test_when_stripe_api_is_down_the_event_fails_visibly_and_will_be_retried(
    connection, deliver, fake_stripe
):
    set_api_key(connection, API_KEY, as_of=NOW)
    fake_stripe.down = True

    assert deliver(connection, event("invoice_paid_basil")).status_code == 200

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.FAILED and "se reintentará" in stored.reason
    assert Invoice.objects.count() == 0


def test_a_usd_charge_is_invoiced_in_usd_with_stripes_exchange_rate_and_fees_kept(connection, deliver):
    deliver(connection, event("charge_succeeded_usd"))

    invoice = Invoice.objects.get()
    assert (invoice.moneda, invoice.tipo_cambio, invoice.total) == (
        "USD",
        Decimal("18.174283"),
        Decimal("58.00"),
    )
    assert invoice.status == "delivered"
    payment = Payment.objects.get()
    assert (payment.fee, payment.net, payment.settlement_currency) == (
        Decimal("44.98"),
        Decimal("1009.13"),
        "MXN",
    )


def test_a_foreign_currency_charge_without_its_rate_waits(connection, deliver):
    deliver(connection, event("charge_succeeded_usd", balance_transaction="txn_3QhUsdLkdIwHu7ix0UsDbT01"))

    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.WAITING and "tipo de cambio" in stored.reason
    assert Invoice.objects.count() == 0


def test_a_foreign_currency_rate_is_fetched_with_the_api_key(connection, deliver, fake_stripe):
    set_api_key(connection, API_KEY, as_of=NOW)
    full = event("charge_succeeded_usd")["data"]["object"]["balance_transaction"]
    fake_stripe.balance_transactions[full["id"]] = full

    deliver(connection, event("charge_succeeded_usd", balance_transaction=full["id"]))

    assert Invoice.objects.get().tipo_cambio == Decimal("18.174283")
