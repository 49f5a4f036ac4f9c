"""Where TipoCambio comes from when the gateway gives none: the org's configured source.

Behind a small interface so tests never reach the internet: `ManualRates` (the org's fixed
rates), `BanxicoFix` (the real client of Banxico's SIE API) and, in tests, a fake passed
through `override`.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from timbra.domain.money import RATE_SCALE, round_amount
from timbra.orgs.models import Org
from timbra.payments.rules.models import InvoicingSettings


class RateSource(Protocol):
    def rate(self, currency: str, on: date) -> Decimal | None:
        """MXN per unit of `currency` for a payment made on `on`, or None when unknown."""
        ...


class ManualRates:
    """Fixed rates the org typed in ({"USD": "17.25"})."""

    def __init__(self, rates: Mapping[str, str]) -> None:
        self._rates = {k.upper(): v for k, v in rates.items()}

    def rate(self, currency: str, on: date) -> Decimal | None:
        try:
            value = Decimal(str(self._rates[currency.upper()]))
        except (KeyError, InvalidOperation):
            return None
        return round_amount(value, RATE_SCALE) if value > 0 else None


class BanxicoFix:
    """Banxico's FIX (USD only, series SF43718). The FIX determined on a banking day is
    published in the DOF the next one and applies to that day's operations (CFF art. 20),
    so a payment on day D takes the last FIX determined before D."""

    BASE_URL = "https://www.banxico.org.mx/SieAPIRest/service/v1"

    def __init__(self, token: str, *, base_url: str = BASE_URL, timeout: float = 5.0) -> None:
        self._token, self._base_url, self._timeout = token, base_url.rstrip("/"), timeout

    def rate(self, currency: str, on: date) -> Decimal | None:
        if currency.upper() != "USD" or not self._token:
            return None
        start, end = (on - timedelta(days=10)).isoformat(), (on - timedelta(days=1)).isoformat()
        url = f"{self._base_url}/series/SF43718/datos/{start}/{end}"
        request = urllib.request.Request(url, headers={"Bmx-Token": self._token, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 (fixed https URL)
                body = json.loads(response.read())
            datos = body["bmx"]["series"][0].get("datos") or []
            return round_amount(Decimal(datos[-1]["dato"]), RATE_SCALE) if datos else None
        except (OSError, ValueError, KeyError, IndexError, InvalidOperation):
            return None  # unknown: the payment holds with a reason and is retried later


_override: RateSource | None = None


@contextmanager
def override(source: RateSource) -> Iterator[RateSource]:
    """Use `source` for every org inside the block (tests)."""
    global _override
    previous, _override = _override, source
    try:
        yield source
    finally:
        _override = previous


def rate_source_for(org: Org) -> RateSource | None:
    """The org's configured source, or None when it uses only the gateway's rate."""
    if _override is not None:
        return _override
    settings = InvoicingSettings.objects.filter(org=org).first()
    if settings is None or settings.exchange_rate_source == InvoicingSettings.RATE_GATEWAY:
        return None
    if settings.exchange_rate_source == InvoicingSettings.RATE_MANUAL:
        return ManualRates(settings.manual_rates)
    return BanxicoFix(os.environ.get("TIMBRA_BANXICO_TOKEN", ""))
