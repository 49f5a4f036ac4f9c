"""Reading a webhook body: JSON with exact numbers, and the `{"object": "event", ...}`
envelope that Stripe and Conekta share."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from timbra.payments.gateways.base import GatewayEvent, MalformedEvent, PayloadRejected


def load_json(payload: bytes | str) -> Any:
    """The parsed body, floats as Decimal (amounts, exchange rates); PayloadRejected if not JSON."""
    try:
        return json.loads(payload, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise PayloadRejected("payload_not_json", "El cuerpo no es JSON válido.") from None


def event_envelope(
    payload: bytes | str, *, not_event: str, created_key: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the event, its data.object) of an `object: "event"` body with id, type, a creation
    time under `created_key` and data.object; PayloadRejected (`not_event` says why) if not."""
    data = load_json(payload)
    if not isinstance(data, dict) or data.get("object") != "event":
        raise PayloadRejected("payload_not_event", not_event)
    obj = (data.get("data") or {}).get("object") if isinstance(data.get("data"), dict) else None
    if not data.get("id") or not data.get("type") or not isinstance(obj, dict) or not data.get(created_key):
        raise PayloadRejected("payload_not_event", f"Al evento le falta id, type, {created_key} o data.object.")
    return data, obj


# What a hostile but correctly signed body can make parsing raise: `created` as text (ValueError),
# as a list (TypeError), as 1e30 (OverflowError, or OSError on some platforms), 100,000 nested
# arrays (RecursionError). Issue 14 §1: each is a rejected event, never a 500.
_UNREADABLE = (ValueError, TypeError, OverflowError, OSError, RecursionError, KeyError, AttributeError)


def parse_signed(parse: Callable[[bytes], GatewayEvent], payload: bytes) -> GatewayEvent:
    """`parse(payload)` for a body whose signature was verified: any failure is MalformedEvent."""
    try:
        return parse(payload)
    except PayloadRejected as exc:
        raise MalformedEvent(exc.code, exc.message) from None
    except _UNREADABLE as exc:
        raise MalformedEvent(
            "payload_malformed", f"El evento está firmado pero no se puede leer ({type(exc).__name__})."
        ) from None
