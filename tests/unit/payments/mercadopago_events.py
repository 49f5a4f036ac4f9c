"""Mercado Pago-shaped notifications and payments, its `x-signature` made by hand, and an
in-memory Mercado Pago API (the two reads Timbra makes).

The signature follows Mercado Pago's "Validar origen de la notificación": HMAC-SHA256,
keyed with the webhook secret, of `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`,
sent as `x-signature: ts=<ts>,v1=<hex>`. Computed here independently of the production code.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from timbra.payments.gateways.base import GatewayUnavailable

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRET = "f3a1c0de9b7e4d2a8c6b5e4f3a2d1c0b9e8f7a6d5c4b3a2f"
OTHER_SECRET = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a"
PAYMENT_ID = "1319750387"
ACCESS_TOKEN = "APP_USR-6295877106812064-042916-5ab0a7bde5e1f0c7b5c3e6d4f2a1b0c9-1234567890"


def notification(
    payment_id: str = PAYMENT_ID, *, action: str = "payment.created", notification_id: int = 118574630412
) -> dict[str, Any]:
    """A Webhooks notification as Mercado Pago posts it (only the payment's id)."""
    return {
        "action": action,
        "api_version": "v1",
        "data": {"id": payment_id},
        "date_created": "2026-11-20T15:58:44Z",
        "id": notification_id,
        "live_mode": False,
        "type": "payment",
        "user_id": "1234567890",
    }


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def signature(data_id: str, request_id: str, ts: int, secret: str = SECRET) -> str:
    signed = f"id:{data_id};request-id:{request_id};ts:{ts};".encode()
    return f"ts={ts},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def payment(**changes: Any) -> dict[str, Any]:
    """A fresh approved payment (GET /v1/payments/{id}), with fields changed."""
    data = copy.deepcopy(_fixture("mercadopago_payment_approved"))
    data.update(changes)
    return data


def refunded(data: dict[str, Any], refunds: list[tuple[int, str]], *, updated: str) -> dict[str, Any]:
    """The payment after `refunds` [(refund id, amount)], last updated at `updated`."""
    items = [
        {"id": rid, "payment_id": data["id"], "amount": float(amount), "status": "approved",
         "date_created": updated, "source": {"type": "collector"}, "reason": None}
        for rid, amount in refunds
    ]
    total = sum(float(a) for _, a in refunds)
    full = total >= float(data["transaction_amount"])
    return {**data, "refunds": items, "transaction_amount_refunded": total, "date_last_updated": updated,
            "status": "refunded" if full else "approved",
            "status_detail": "refunded" if full else "partially_refunded"}


@dataclass
class FakeMercadoPago:
    """What the fake account holds. `down` makes every call fail like an outage."""

    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: bool = False
    calls: list[str] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)

    def api(self, access_token: str, **_: Any) -> FakeMercadoPago:
        """Stands in for clients.HttpMercadoPagoApi(access_token)."""
        self.tokens_seen.append(access_token)
        return self

    def add(self, data: dict[str, Any]) -> dict[str, Any]:
        self.payments[str(data["id"])] = data
        return data

    def _check(self, what: str) -> None:
        self.calls.append(what)
        if self.down:
            raise GatewayUnavailable("URLError")

    def payment(self, payment_id: str) -> dict[str, Any] | None:
        self._check(f"payment {payment_id}")
        found = self.payments.get(str(payment_id))
        return json.loads(json.dumps(found)) if found else None

    def payments_updated(self, since: datetime, until: datetime):
        self._check("search")
        updated = sorted(self.payments.values(), key=lambda p: p["date_last_updated"])
        yield from (p for p in updated if since <= datetime.fromisoformat(p["date_last_updated"]) <= until)
