"""The reconciler: events whose webhook never arrived are found through the gateway's API and
processed; delivered ones are not stored or invoiced twice (same inbox key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import stripe

from tests.factories import NOW
from tests.unit.payments import conekta_events
from tests.unit.payments.fake_stripe import FakeStripe
from tests.unit.payments.mercadopago_events import notification, payment, refunded
from tests.unit.payments.stripe_events import event
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.services.connections import set_api_key
from timbra.payments.services.reconcile import FIRST_WINDOW, OVERLAP, reconcile_all, reconcile_connection

pytestmark = pytest.mark.django_db

STRIPE_KEY = "rk_test_51PkdIwHu7ixRestrictedKey0001"
CONEKTA_KEY = "key_Zz9yXwVuTsRqPoNmLk"


class _StripeEvents:
    """`GET /v1/events` over a list, as Stripe pages it (newest first, starting_after)."""

    def __init__(self, events: list[dict[str, Any]], calls: list[dict[str, Any]]) -> None:
        self.events, self.calls = events, calls

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(params)
        newest_first = sorted(self.events, key=lambda e: -e["created"])
        found = [e for e in newest_first if e["created"] >= params["created"]["gte"] and e["type"] in params["types"]]
        if "starting_after" in params:
            found = found[[e["id"] for e in found].index(params["starting_after"]) + 1:]
        page = found[: params["limit"]]
        return {"object": "list", "data": page, "has_more": len(found) > len(page)}


@pytest.fixture
def stripe_api(monkeypatch) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Stripe's API in memory: (its events, the list calls made)."""
    events: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    fake = FakeStripe()

    def client(api_key: str, **kwargs: Any) -> Any:
        made = fake.client(api_key, **kwargs)
        made.v1.events = _StripeEvents(events, calls)
        return made

    monkeypatch.setattr(stripe, "StripeClient", client)
    return events, calls


class _ConektaEvents:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self._events, self.down = events, False

    def events(self, since):
        from timbra.payments.gateways.base import GatewayUnavailable

        if self.down:
            raise GatewayUnavailable("HTTP 503")
        return [e for e in self._events if e["created_at"] >= since.timestamp()]


def test_a_stripe_event_that_never_arrived_is_stored_processed_and_a_delivered_one_is_not_repeated(
    connection, deliver, stripe_api, django_capture_on_commit_callbacks
):
    events, calls = stripe_api
    set_api_key(connection, STRIPE_KEY, as_of=NOW)
    delivered, missed = event("charge_succeeded_oneoff"), event("invoice_paid")
    events.extend([delivered, missed])
    deliver(connection, delivered)

    with django_capture_on_commit_callbacks(execute=True):
        reports = reconcile_all(as_of=NOW)

    assert reports == {connection.pk: reports[connection.pk]}
    assert (reports[connection.pk].seen, reports[connection.pk].recovered) == (2, 1)
    assert calls[0]["created"] == {"gte": int((NOW - FIRST_WINDOW - OVERLAP).timestamp())}
    assert "invoice.paid" in calls[0]["types"]
    assert WebhookEvent.objects.count() == 2
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {WebhookEvent.PROCESSED}
    assert Invoice.objects.count() == 2 and Payment.objects.count() == 2
    connection.refresh_from_db()
    assert connection.last_reconciled_at == NOW
    assert connection.last_reconcile_report == {"seen": 2, "recovered": 1, "error": ""}


def test_a_second_run_looks_back_from_the_watermark_and_recovers_nothing_twice(
    connection, stripe_api, django_capture_on_commit_callbacks
):
    events, calls = stripe_api
    set_api_key(connection, STRIPE_KEY, as_of=NOW)
    events.append(event("invoice_paid"))
    later = NOW + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile_connection(connection, as_of=NOW)
        second = reconcile_connection(connection, as_of=later)

    assert (first.recovered, second.recovered, second.seen) == (1, 0, 1)
    assert calls[-1]["created"] == {"gte": int((NOW - OVERLAP).timestamp())}
    assert Invoice.objects.count() == 1 and WebhookEvent.objects.count() == 1


def test_a_missed_conekta_order_is_recovered_and_an_outage_keeps_the_watermark(
    org, conekta, post_hook, django_capture_on_commit_callbacks
):
    set_api_key(conekta, CONEKTA_KEY, as_of=NOW)
    delivered = conekta_events.order_paid()
    missed = conekta_events.order_paid(event_id="6407b5bee1329a000175c001", id="ord_2tKcHxhTz7xU5SymZ")
    created = {**conekta_events.order_paid(event_id="6407b5bee1329a000175c000"), "type": "order.created"}
    post_hook.conekta(conekta, delivered)
    source = _ConektaEvents([delivered, missed, created])

    source.down = True
    failed = reconcile_connection(conekta, as_of=NOW, source=source)
    assert failed.error and GatewayConnection.objects.get(pk=conekta.pk).last_reconciled_at is None

    source.down = False
    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile_connection(conekta, as_of=NOW, source=source)

    assert (report.seen, report.recovered, report.error) == (3, 1, "")
    assert not WebhookEvent.objects.filter(event_type="order.created").exists()  # not ours to keep
    assert sorted(Invoice.objects.values_list("source_id", flat=True)) == ["ord_2tKcHxhTz7xU5SymH",
                                                                          "ord_2tKcHxhTz7xU5SymZ"]


def test_a_missed_mercado_pago_payment_and_refund_are_recovered_once(
    mercadopago, fake_mp, post_hook, django_capture_on_commit_callbacks
):
    # given one payment notified and invoiced, and another whose notifications never came
    fake_mp.add(payment(date_last_updated="2026-11-20T09:58:43.000-06:00"))
    post_hook.mercadopago(mercadopago, notification())
    missed = refunded(payment(id=1319750999, date_approved="2026-11-20T09:30:00.000-06:00"),
                      [(2145963400, "200")], updated="2026-11-20T09:45:00.000-06:00")
    fake_mp.add(missed)

    # when the reconciler runs (twice, as the hourly job would)
    with django_capture_on_commit_callbacks(execute=True):
        first = reconcile_connection(mercadopago, as_of=NOW)
        second = reconcile_connection(mercadopago, as_of=NOW + timedelta(hours=1))

    # then the missed payment is invoiced and its refund credited, and nothing else is repeated
    assert (first.seen, first.recovered) == (2, 2) and second.recovered == 0
    assert sorted(WebhookEvent.objects.values_list("event_id", flat=True)) == [
        "118574630412", "reconcile-1319750999-created", "reconcile-1319750999-refunds-1"]
    assert Invoice.objects.filter(tipo_de_comprobante="I").count() == 2
    assert Refund.objects.get().refund_id == "2145963400"


def test_connections_without_an_api_key_are_not_reconciled(connection, conekta):
    assert reconcile_all(as_of=NOW) == {}


def test_timbra_reconcile_runs_it_now_and_says_what_it_found(connection, stripe_api, capsys):
    from timbra import cli

    events, _ = stripe_api
    set_api_key(connection, STRIPE_KEY, as_of=NOW)
    events.append(event("invoice_paid"))

    assert cli.main(["reconcile", "--org", str(connection.org_id)]) == 0

    assert capsys.readouterr().out.strip() == (
        f"stripe (org {connection.org_id}, conexión {connection.pk}): 1 revisados, 1 recuperados")
    assert WebhookEvent.objects.get().event_id == "evt_1QhKx2LkdIwHu7ixAbCdEf01"


def test_one_connection_failing_does_not_stop_the_others(connection, conekta, stripe_api, monkeypatch, caplog):
    from timbra.payments.services import reconcile

    events, _ = stripe_api
    events.append(event("invoice_paid"))
    set_api_key(connection, STRIPE_KEY, as_of=NOW)
    set_api_key(conekta, CONEKTA_KEY, as_of=NOW)
    real_source = reconcile._source_for

    class Broken:
        def events(self, since):
            raise RuntimeError("bug")

    monkeypatch.setattr(reconcile, "_source_for", lambda c: Broken() if c.provider == "conekta" else real_source(c))

    reports = reconcile_all(as_of=NOW)

    assert reports[conekta.pk].error == "Error inesperado (RuntimeError)."
    assert reports[connection.pk].recovered == 1
