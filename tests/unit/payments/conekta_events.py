"""Conekta-shaped events (fixtures/conekta_*.json) and Conekta's webhook signature, made by hand.

`sign` follows developers.conekta.com "Autenticación Webhooks": the `DIGEST` header is the
base64 RSA (PKCS#1 v1.5) signature of the SHA-256 of the raw body, made with the private
half of the company's webhook key; Timbra keeps only the public half.
"""

from __future__ import annotations

import base64
import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ORDER_ID = "ord_2tKcHxhTz7xU5SymH"


@cache
def private_key(name: str = "current") -> rsa.RSAPrivateKey:
    """A 2048-bit key per name, made once per test run (a webhook key's private half)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(name: str = "current") -> str:
    """What Conekta answers as `public_key` for the webhook key `name`."""
    return private_key(name).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign(payload: bytes, name: str = "current") -> str:
    """The DIGEST header Conekta sends with `payload`."""
    signature = private_key(name).sign(payload, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def order_paid(*, event_id: str | None = None, method: dict[str, Any] | None = None, **order: Any) -> dict[str, Any]:
    """A fresh order.paid, with another event id, payment method or order fields."""
    data = copy.deepcopy(_fixture("conekta_order_paid"))
    if event_id:
        data["id"] = event_id
    obj = data["data"]["object"]
    obj.update(order)
    if method is not None:
        obj["charges"]["data"][0]["payment_method"] = method
    return data


def order_refunded(
    refunds: list[tuple[str, int]], *, event_id: str, partial: bool = False
) -> dict[str, Any]:
    """order.refunded (or order.partially_refunded) after `refunds` [(refund id, cents)]."""
    data = order_paid(event_id=event_id)
    data["type"] = "order.partially_refunded" if partial else "order.refunded"
    obj = data["data"]["object"]
    total = sum(cents for _, cents in refunds)
    obj.update(amount_refunded=total, payment_status="partially_refunded" if partial else "refunded")
    charge = obj["charges"]["data"][0]
    charge["status"] = "partially_refunded" if partial else "refunded"
    charge["refunds"] = {
        "object": "list",
        "has_more": False,
        "data": [
            {"id": rid, "object": "refund", "amount": -cents, "auth_code": "490993", "created_at": 1795276740}
            for rid, cents in refunds
        ],
    }
    data["created_at"] = 1795276741
    return data


def body(data: dict[str, Any]) -> bytes:
    """The bytes Conekta would send (compact JSON, UTF-8)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
