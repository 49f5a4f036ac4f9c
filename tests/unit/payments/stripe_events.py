"""Real Stripe-shaped events (fixtures/*.json) and Stripe's signature scheme, computed by hand.

`sign` implements docs.stripe.com/webhooks#verify-manually independently of the `stripe`
package (HMAC-SHA256 of "{t}.{body}" with the endpoint secret), so the tests check the
production code, which uses the package, against the published scheme.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRET = "whsec_5fJ0pQmT9wXvR2kLz8NbY3cHdA6eUgS1"
OTHER_SECRET = "whsec_Qw7Er9Ty2Ui4Op6As8Df0Gh1Jk3Lz5Xc"


@cache
def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def event(name: str, *, event_id: str | None = None, **object_changes: Any) -> dict[str, Any]:
    """A fresh copy of fixture `name`, with a new event id and data.object fields changed."""
    data = copy.deepcopy(_fixture(name))
    if event_id:
        data["id"] = event_id
    data["data"]["object"].update(object_changes)
    return data


def body(data: dict[str, Any]) -> bytes:
    """The bytes Stripe would send (pretty-printed JSON, as Stripe does)."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def sign(payload: bytes, *secrets: str, timestamp: int) -> str:
    """A Stripe-Signature header with one v1 signature per secret."""
    signed = f"{timestamp}.".encode() + payload
    signatures = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets or (SECRET,)]
    return ",".join([f"t={timestamp}", *(f"v1={s}" for s in signatures)])
