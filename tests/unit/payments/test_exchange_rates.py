"""Exchange-rate sources: the org's fixed rates, and Banxico's FIX client against a local server
speaking the SIE API (no internet in tests)."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from timbra.payments.rules.rates import BanxicoFix, ManualRates


def test_manual_rates_know_only_their_currencies():
    rates = ManualRates({"usd": "17.1234567", "EUR": "0"})
    assert rates.rate("USD", date(2026, 11, 20)) == Decimal("17.123457")  # six decimals (t_TipoCambio)
    assert rates.rate("EUR", date(2026, 11, 20)) is None  # zero is no rate
    assert rates.rate("JPY", date(2026, 11, 20)) is None


@pytest.fixture
def sie():
    """A local SIE API: answers the FIX series with two days of data, records what it was asked."""
    asked: list[tuple[str, str | None]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            asked.append((self.path, self.headers.get("Bmx-Token")))
            datos = [{"fecha": "18/11/2026", "dato": "17.4012"}, {"fecha": "19/11/2026", "dato": "17.3655"}]
            body = json.dumps({"bmx": {"series": [{"idSerie": "SF43718", "datos": datos}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()


def test_banxico_fix_takes_the_last_fix_determined_before_the_payment_day(sie):
    url, asked = sie
    rate = BanxicoFix("token-de-prueba", base_url=url).rate("USD", date(2026, 11, 20))
    assert rate == Decimal("17.365500")
    assert asked == [("/series/SF43718/datos/2026-11-10/2026-11-19", "token-de-prueba")]


def test_banxico_fix_knows_only_usd_and_an_unreachable_api_is_unknown(sie):
    url, asked = sie
    assert BanxicoFix("t", base_url=url).rate("EUR", date(2026, 11, 20)) is None
    assert BanxicoFix("", base_url=url).rate("USD", date(2026, 11, 20)) is None
    assert asked == []
    assert BanxicoFix("t", base_url="http://127.0.0.1:9", timeout=0.5).rate("USD", date(2026, 11, 20)) is None
