"""The Mexican gateways' APIs, behind small interfaces (tests use fakes or a local server).

Only what Timbra reads: a Mercado Pago payment (its notifications carry nothing but the
id), recent Mercado Pago payments and recent Conekta events for the reconciler. Plain
HTTPS+JSON through the standard library (no SDK needed for three GETs). A missing object
answers None; anything else that fails raises GatewayUnavailable so the job retries.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from timbra.payments.gateways.base import GatewayUnavailable

log = logging.getLogger(__name__)

MERCADOPAGO_API = "https://api.mercadopago.com"
CONEKTA_API = "https://api.conekta.io"
CONEKTA_ACCEPT = "application/vnd.conekta-v2.1.0+json"
TIMEOUT_SECONDS = 10
PAGE = 50  # objects per page asked of either API
MAX_PAGES = 40  # a reconcile window holding more than 2,000 objects is finished by the next run


class MercadoPagoApi(Protocol):
    def payment(self, payment_id: str) -> Mapping[str, Any] | None:
        """`GET /v1/payments/{id}`, or None when Mercado Pago does not know it."""
        ...

    def payments_updated(self, since: datetime, until: datetime) -> Iterator[Mapping[str, Any]]:
        """Payments whose `date_last_updated` falls in [since, until], oldest first."""
        ...


class ConektaApi(Protocol):
    def events(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        """Events created at or after `since`, newest first (Conekta's order)."""
        ...


class _JsonHttp:
    """GET JSON with a bearer token; floats as Decimal (amounts); never logs the token."""

    def __init__(self, base_url: str, token: str, *, accept: str = "application/json") -> None:
        self._base, self._token, self._accept = base_url.rstrip("/"), token, accept

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base!r}, token=<redacted>)"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        url = self._base + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self._token}", "Accept": self._accept}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                data = json.loads(response.read(), parse_float=Decimal)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            log.warning("gateway API %s answered %s", self._base, exc.code)
            raise GatewayUnavailable(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            log.warning("gateway API %s failed: %s", self._base, type(exc).__name__)
            raise GatewayUnavailable(type(exc).__name__) from None
        if not isinstance(data, dict):
            raise GatewayUnavailable("unexpected answer")
        return data


def mp_datetime(value: datetime) -> str:
    """Mercado Pago's search dates (ISO 8601 with milliseconds and an offset)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000-00:00")


class HttpMercadoPagoApi:
    """Mercado Pago's REST API with the org's access token."""

    def __init__(self, access_token: str, *, base_url: str = MERCADOPAGO_API) -> None:
        self._http = _JsonHttp(base_url, access_token)

    def __repr__(self) -> str:
        return f"HttpMercadoPagoApi({self._http!r})"

    def payment(self, payment_id: str) -> Mapping[str, Any] | None:
        return self._http.get(f"/v1/payments/{urllib.parse.quote(str(payment_id), safe='')}")

    def payments_updated(self, since: datetime, until: datetime) -> Iterator[Mapping[str, Any]]:
        params: dict[str, Any] = {
            "sort": "date_last_updated",
            "criteria": "asc",
            "range": "date_last_updated",
            "begin_date": mp_datetime(since),
            "end_date": mp_datetime(until),
            "limit": PAGE,
        }
        for page in range(MAX_PAGES):
            answer = self._http.get("/v1/payments/search", {**params, "offset": page * PAGE}) or {}
            results = answer.get("results") or []
            yield from results
            total = int((answer.get("paging") or {}).get("total") or 0)
            if len(results) < PAGE or (page + 1) * PAGE >= total:
                return


class HttpConektaApi:
    """Conekta's REST API (v2.1) with the org's private key."""

    def __init__(self, api_key: str, *, base_url: str = CONEKTA_API) -> None:
        self._http = _JsonHttp(base_url, api_key, accept=CONEKTA_ACCEPT)

    def __repr__(self) -> str:
        return f"HttpConektaApi({self._http!r})"

    def events(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        params: dict[str, Any] = {"limit": PAGE}
        for _ in range(MAX_PAGES):
            answer = self._http.get("/events", params) or {}
            items = answer.get("data") or []
            for item in items:
                if int(item.get("created_at") or 0) < since.timestamp():
                    return  # newest first: the rest is older than the window
                yield item
            if not answer.get("has_more") or not items:
                return
            params = {"limit": PAGE, "next": items[-1]["id"]}
