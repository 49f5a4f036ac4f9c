"""The real HTTP clients of Mercado Pago and Conekta against a local server speaking their JSON."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.payments.conekta_events import order_paid
from tests.unit.payments.mercadopago_events import ACCESS_TOKEN, PAYMENT_ID, payment
from timbra.payments.gateways.base import GatewayUnavailable
from timbra.payments.gateways.clients import HttpConektaApi, HttpMercadoPagoApi

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


class _Gateway(BaseHTTPRequestHandler):
    routes: dict[str, Any] = {}
    seen: list[tuple[str, dict[str, list[str]], str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.seen.append((url.path, query, self.headers.get("Authorization", ""), self.headers.get("Accept", "")))
        answer = self.routes.get(url.path)
        if callable(answer):
            answer = answer(query)
        status, payload = answer if isinstance(answer, tuple) else (404, {"message": "not found"})
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Gateway.routes, _Gateway.seen = {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_mercado_pago_payment_is_read_with_the_bearer_token_and_exact_decimals(server):
    _Gateway.routes[f"/v1/payments/{PAYMENT_ID}"] = (200, payment())

    found = HttpMercadoPagoApi(ACCESS_TOKEN, base_url=server).payment(PAYMENT_ID)

    assert found["transaction_details"]["net_received_amount"] == Decimal("1105.13")
    assert _Gateway.seen[0][2] == f"Bearer {ACCESS_TOKEN}"


def test_mercado_pago_unknown_payment_is_none_and_a_5xx_is_unavailable(server):
    api = HttpMercadoPagoApi(ACCESS_TOKEN, base_url=server)
    assert api.payment("404") is None

    _Gateway.routes["/v1/payments/500"] = (500, {"message": "internal_error"})
    with pytest.raises(GatewayUnavailable):
        api.payment("500")


def test_an_unreachable_gateway_is_unavailable():
    with pytest.raises(GatewayUnavailable):
        HttpMercadoPagoApi(ACCESS_TOKEN, base_url="http://127.0.0.1:9").payment("1")


def test_mercado_pago_search_pages_through_payments_updated_in_the_window(server):
    everything = [payment(id=n) for n in range(1, 61)]

    def search(query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        page = everything[offset:offset + limit]
        return 200, {"paging": {"total": len(everything), "limit": limit, "offset": offset}, "results": page}

    _Gateway.routes["/v1/payments/search"] = search

    found = list(HttpMercadoPagoApi(ACCESS_TOKEN, base_url=server).payments_updated(NOW - timedelta(hours=1), NOW))

    assert [p["id"] for p in found] == list(range(1, 61))
    first = _Gateway.seen[0][1]
    assert first["range"] == ["date_last_updated"] and first["begin_date"] == ["2026-11-20T15:00:00.000-00:00"]
    assert first["end_date"] == ["2026-11-20T16:00:00.000-00:00"] and first["criteria"] == ["asc"]


def test_conekta_events_are_listed_newest_first_until_the_window_starts(server):
    newest = {**order_paid(event_id="evt_3"), "created_at": int(NOW.timestamp()) - 60}
    middle = {**order_paid(event_id="evt_2"), "created_at": int(NOW.timestamp()) - 1800}
    older = {**order_paid(event_id="evt_1"), "created_at": int(NOW.timestamp()) - 7200}

    def events(query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if "next" not in query:
            return 200, {"object": "list", "has_more": True, "data": [newest]}
        return 200, {"object": "list", "has_more": False, "data": [middle, older]}

    _Gateway.routes["/events"] = events

    found = list(HttpConektaApi("key_Zz9yXwVuTsRqPoNm", base_url=server).events(NOW - timedelta(hours=1)))

    assert [e["id"] for e in found] == ["evt_3", "evt_2"]
    assert _Gateway.seen[1][1]["next"] == ["evt_3"]
    assert _Gateway.seen[0][3] == "application/vnd.conekta-v2.1.0+json"
