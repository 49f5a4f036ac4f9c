"""Conekta: webhook signatures (RSA over the body, `DIGEST` header) and its events.

Conekta signs every webhook with a private key of the company's "webhook key"
(`POST /webhook_keys` answers the public half): the `DIGEST` header is the base64 RSA
PKCS#1 v1.5 signature of the SHA-256 of the raw body, UTF-8
(developers.conekta.com/docs/autenticación-webhooks; conekta/conekta-node#105 shows a
verifying example). A connection may hold several public keys at once (rotation).

Conekta's scheme carries no signed timestamp, so there is no freshness window to check:
a replayed delivery is absorbed by the inbox's unique (org, provider, event id) key
(reference/reliability.md §1.1), as Stripe's replays inside its window are.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from timbra.payments.gateways import conekta_mapping
from timbra.payments.gateways.base import (
    GatewayEvent,
    MetadataKeys,
    Outcome,
    SignatureRejected,
)
from timbra.payments.gateways.envelope import event_envelope, parse_signed

PROVIDER = "conekta"


class InvalidPublicKey(ValueError):
    """Not a PEM RSA public key."""


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """The RSA public key of a PEM text (what Conekta's `webhook_keys` answers)."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError):
        raise InvalidPublicKey("not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidPublicKey("not an RSA key")
    return key


def verify_signature(payload: bytes, digest: str | None, public_keys: Sequence[str]) -> None:
    """Raise SignatureRejected unless `digest` signs `payload` with one of `public_keys`."""
    if not digest:
        raise SignatureRejected("signature_missing", "Falta el encabezado DIGEST de Conekta.")
    try:
        signature = base64.b64decode(digest.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureRejected(
            "signature_invalid", "El encabezado DIGEST de Conekta no es una firma en base64."
        ) from None
    if not any(_signed_by(payload, signature, pem) for pem in public_keys):
        raise SignatureRejected(
            "signature_invalid",
            "La firma de Conekta no corresponde al contenido ni a ninguna llave pública de esta conexión.",
        )


def _signed_by(payload: bytes, signature: bytes, pem: str) -> bool:
    try:
        load_public_key(pem).verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, InvalidPublicKey):
        return False
    return True


def parse_event(payload: bytes | str) -> GatewayEvent:
    """Parse a (verified) Conekta event body; floats become Decimal."""
    data, obj = event_envelope(
        payload, not_event='El cuerpo no es un evento de Conekta (object="event").', created_key="created_at"
    )
    return GatewayEvent(
        provider=PROVIDER,
        event_id=str(data["id"])[:255],
        event_type=str(data["type"])[:100],
        livemode=bool(data.get("livemode")),
        created=datetime.fromtimestamp(int(data["created_at"]), tz=UTC),
        api_version="",
        object_id=str(obj.get("id") or "")[:255],
        data=obj,
    )


@dataclass
class ConektaAdapter:
    """The GatewayAdapter for Conekta, built per connection. Its events carry the whole
    order, so mapping them needs no API call."""

    keys: MetadataKeys = field(default_factory=MetadataKeys)
    provider: str = PROVIDER

    def verify_and_parse(
        self, payload: bytes, header: str | None, secrets: Sequence[str], now: datetime
    ) -> GatewayEvent:
        """Verify the DIGEST signature (any of the connection's public keys), then parse."""
        verify_signature(payload, header, secrets)
        return parse_signed(parse_event, payload)

    def parse_stored(self, payload: str) -> GatewayEvent:
        """Parse an event from the inbox (verified when it arrived)."""
        return parse_event(payload)

    def normalize(self, event: GatewayEvent) -> Outcome:
        """See conekta_mapping.normalize."""
        return conekta_mapping.normalize(event, keys=self.keys)
