"""Mercado Pago: webhook signatures (`x-signature`) and its payment notifications.

Mercado Pago signs a manifest, not the body: `x-signature: ts=<ts>,v1=<hex>` where v1 is
HMAC-SHA256, keyed with the application's webhook secret, of
`id:<data.id>;request-id:<x-request-id>;ts:<ts>;` (data.id from the notification URL's
query string, lowercased when alphanumeric; a value that is absent is left out of the
template with its label). Mercado Pago's "Validar origen de la notificación" documents it.

The body carries only the payment id, so the signature is enough: Timbra stores the
notification, and the job fetches the payment itself from the API with the org's access
token (process_event, never the webhook request), so a forged body can claim nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from timbra.payments.gateways import mercadopago_mapping
from timbra.payments.gateways.base import (
    GatewayEvent,
    MetadataKeys,
    Outcome,
    PayloadRejected,
    SignatureRejected,
    Skip,
)
from timbra.payments.gateways.clients import MercadoPagoApi
from timbra.payments.gateways.envelope import load_json, parse_signed

PROVIDER = "mercadopago"
TOLERANCE_SECONDS = 300  # as Stripe's: a missed notification is found by the reconciler anyway
# A notification without `action` (older applications) is an update of the payment.
PAYMENT_EVENTS = ("payment.created", "payment.updated", "payment")


def signature_material(
    x_signature: str | None, request_id: str | None, query_data_id: str | None
) -> str | None:
    """What the webhook view hands the adapter as "the signature header": the three values
    Mercado Pago's manifest is built from, spread over two headers and the URL."""
    if not x_signature:
        return None
    return json.dumps(
        {"x_signature": x_signature, "request_id": request_id or "", "data_id": query_data_id or ""}
    )


def manifest(data_id: str, request_id: str, ts: str) -> str:
    """The signed template, leaving out what is absent."""
    parts = [
        ("id", data_id.lower() if data_id.isalnum() else data_id),
        ("request-id", request_id),
        ("ts", ts),
    ]
    return "".join(f"{label}:{value};" for label, value in parts if value)


def sign(data_id: str, request_id: str, ts: str, secret: str) -> str:
    """The v1 signature of one notification (also what tests deliver with)."""
    return hmac.new(secret.encode(), manifest(data_id, request_id, ts).encode(), hashlib.sha256).hexdigest()


def verify_signature(
    material: str | None, body_data_id: str, secrets: Sequence[str], *, now: datetime
) -> None:
    """Raise SignatureRejected unless the notification is signed with one of `secrets`,
    recently, for the payment id the body names."""
    if not material:
        raise SignatureRejected("signature_missing", "Falta el encabezado x-signature de Mercado Pago.")
    try:
        values = json.loads(material)
    except ValueError:  # not what signature_material builds: a caller passed the raw header
        raise SignatureRejected("signature_invalid", "Faltan los datos firmados de Mercado Pago.") from None
    pairs = dict(p.strip().split("=", 1) for p in str(values["x_signature"]).split(",") if "=" in p)
    ts, v1 = pairs.get("ts", ""), pairs.get("v1", "")
    data_id = values["data_id"] or body_data_id
    if not ts.isdigit() or not v1:
        raise SignatureRejected("signature_invalid", "El encabezado x-signature no tiene ts y v1.")
    if values["data_id"] and values["data_id"] != body_data_id:
        raise SignatureRejected(
            "signature_invalid", "El data.id de la URL no coincide con el del cuerpo de la notificación."
        )
    given = v1.lower().encode()  # bytes: compare_digest refuses non-ASCII text instead of saying no
    if not any(hmac.compare_digest(sign(data_id, values["request_id"], ts, s).encode(), given) for s in secrets):
        raise SignatureRejected(
            "signature_invalid",
            "La firma de Mercado Pago no corresponde a la notificación ni a ninguna clave secreta de esta conexión.",
        )
    seconds = int(ts) / 1000 if len(ts) > 11 else int(ts)  # seconds; accept milliseconds too
    if seconds < now.timestamp() - TOLERANCE_SECONDS:
        raise SignatureRejected(
            "signature_stale",
            f"La firma de Mercado Pago tiene más de {TOLERANCE_SECONDS} s; se rechaza para impedir repeticiones.",
        )


def _load(payload: bytes | str) -> dict[str, Any]:
    data = load_json(payload)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("data"), dict)
        or not data["data"].get("id")
        or (not data.get("id") or not data.get("type"))
    ):
        raise PayloadRejected(
            "payload_not_event",
            "El cuerpo no es una notificación Webhook de Mercado Pago (faltan id, type o data.id).",
        )
    return data


def parse_event(payload: bytes | str) -> GatewayEvent:
    """Parse a (verified) notification: the event is the notification, its object the payment id."""
    data = _load(payload)
    created = str(data.get("date_created") or "")
    return GatewayEvent(
        provider=PROVIDER,
        event_id=str(data["id"])[:255],
        event_type=str(data.get("action") or data["type"])[:100],
        livemode=bool(data.get("live_mode")),
        created=_iso(created),
        api_version=str(data.get("api_version") or "")[:40],
        object_id=str(data["data"]["id"])[:255],
        data=data["data"],
    )


def _iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class MercadoPagoAdapter:
    """The GatewayAdapter for Mercado Pago, built per connection; `api` is None when the
    connection has no access token (or while receiving, which never asks the gateway)."""

    keys: MetadataKeys = field(default_factory=MetadataKeys)
    api: MercadoPagoApi | None = None
    provider: str = PROVIDER

    def verify_and_parse(
        self, payload: bytes, header: str | None, secrets: Sequence[str], now: datetime
    ) -> GatewayEvent:
        """Verify the manifest's signature (any secret) for the body's payment id, then parse."""
        data = _load(payload)
        verify_signature(header, str(data["data"]["id"]), secrets, now=now)
        return parse_signed(parse_event, payload)

    def parse_stored(self, payload: str) -> GatewayEvent:
        """Parse a notification from the inbox (verified when it arrived)."""
        return parse_event(payload)

    def normalize(self, event: GatewayEvent) -> Outcome:
        """Fetch the payment the notification names and map it (see mercadopago_mapping)."""
        if event.event_type not in PAYMENT_EVENTS:
            return Skip(
                "ignored", f"Las notificaciones «{event.event_type}» de Mercado Pago no generan facturas."
            )
        if self.api is None:
            return Skip(
                "waiting",
                "Mercado Pago solo avisa el número de pago: agrega a la conexión el access token "
                "para que Timbra lo consulte.",
            )
        payment: Mapping[str, Any] | None = self.api.payment(event.object_id)
        if payment is None:
            return Skip(
                "ignored", f"Mercado Pago no conoce el pago {event.object_id} (¿notificación de prueba?)."
            )
        return mercadopago_mapping.normalize(payment, event_type=event.event_type, keys=self.keys)
