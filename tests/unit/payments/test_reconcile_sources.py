"""What the reconciler reads: Stripe's event list page by page, and JSON written back exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from timbra.payments.gateways.stripe import StripeEventSource
from timbra.payments.services.reconcile import dumps_exact

SINCE = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class _Events:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events, self.calls = events, []

    def list(self, params: dict[str, Any]) -> Any:
        self.calls.append(dict(params))
        found = [e for e in self.events if e["created"] >= params["created"]["gte"] and e["type"] in params["types"]]
        if "starting_after" in params:
            found = found[[e["id"] for e in found].index(params["starting_after"]) + 1 :]
        page = found[: params["limit"]]
        return {"object": "list", "data": page, "has_more": len(found) > len(page)}


class _Client:
    def __init__(self, events: _Events) -> None:
        self.v1 = type("V1", (), {"events": events})()


def test_stripe_events_are_read_page_after_page_from_the_window_start():
    start = int(SINCE.timestamp())
    listed = [{"id": f"evt_{n:03}", "object": "event", "type": "invoice.paid", "created": start + 250 - n,
               "data": {"object": {"id": f"in_{n}"}}} for n in range(250)]
    listed.append({"id": "evt_old", "object": "event", "type": "invoice.paid", "created": start - 1, "data": {}})
    listed.append({"id": "evt_other", "object": "event", "type": "balance.available", "created": start, "data": {}})
    events = _Events(listed)

    found = list(StripeEventSource("rk_test_x", ["invoice.paid"], client=_Client(events)).events(SINCE))

    assert [e["id"] for e in found] == [f"evt_{n:03}" for n in range(250)]
    assert [c.get("starting_after") for c in events.calls] == [None, "evt_099", "evt_199"]
    assert events.calls[0]["created"] == {"gte": start} and events.calls[0]["types"] == ["invoice.paid"]


def test_json_written_back_keeps_every_digit_of_decimal_numbers():
    parsed = json.loads('{"rate": 17.051234, "amount": 116000, "fee": 0.1, "name": "Ñandú"}', parse_float=Decimal)

    text = dumps_exact(parsed)

    assert text == '{"rate": 17.051234, "amount": 116000, "fee": 0.1, "name": "Ñandú"}'
    assert json.loads(text, parse_float=Decimal) == parsed


def test_the_stripe_types_asked_for_are_the_handled_ones_within_stripes_limit_of_20():
    from timbra.payments.gateways import stripe_lifecycle, stripe_mapping
    from timbra.payments.services.reconcile import STRIPE_TYPES

    assert set(STRIPE_TYPES) == {*stripe_mapping.HANDLED, *stripe_lifecycle.HANDLED}
    assert len(STRIPE_TYPES) <= 20
