"""Stripe: webhook signatures with the official `stripe` package, and its API for lookups.

The only module that imports `stripe`. Signatures are checked by
`stripe.WebhookSignature.verify_header` on the raw body, once per signing secret of the
connection (a rotation keeps two valid at once), with Stripe's 300 s tolerance measured
against the `now` we are given (the library would read the clock itself; time is an
argument in Timbra). Like the library, only old timestamps are refused: the event-id
unique key, not the window, stops replays inside it (reference/reliability.md §1.1).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

import stripe

from timbra.payments.gateways import stripe_mapping
from timbra.payments.gateways.base import (
    GatewayEvent,
    GatewayUnavailable,
    Lookups,
    MetadataKeys,
    NoLookups,
    Outcome,
    SignatureRejected,
)
from timbra.payments.gateways.envelope import event_envelope, parse_signed

log = logging.getLogger(__name__)

PROVIDER = "stripe"
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE  # 300 s


def verify_signature(payload: bytes, header: str | None, secrets: Sequence[str], *, now: datetime) -> None:
    """Raise SignatureRejected unless `header` signs `payload` with one of `secrets`, recently."""
    if not header:
        raise SignatureRejected("signature_missing", "Falta el encabezado Stripe-Signature.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureRejected(
            "signature_invalid", "La firma de Stripe no corresponde al contenido."
        ) from None
    if not any(_signed_by(text, header, secret) for secret in secrets):
        raise SignatureRejected(
            "signature_invalid",
            "La firma de Stripe no corresponde al contenido ni a ningún secreto de firma de esta conexión.",
        )
    signed_at = _timestamp(header)
    if signed_at < now.timestamp() - TOLERANCE_SECONDS:
        raise SignatureRejected(
            "signature_stale",
            f"La firma de Stripe tiene más de {TOLERANCE_SECONDS} s; se rechaza para impedir repeticiones.",
        )


def _signed_by(text: str, header: str, secret: str) -> bool:
    try:
        # tolerance=None: the signature only; the age is checked against `now` above.
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return False
    return True


def _timestamp(header: str) -> int:
    # Same parsing as stripe.WebhookSignature; verify_header already proved it parses.
    items = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    return int(items["t"])


def parse_event(payload: bytes | str) -> GatewayEvent:
    """Parse a (verified) Stripe event body; floats become Decimal (exchange rates)."""
    data, obj = event_envelope(
        payload,
        not_event='El cuerpo no es un evento de Stripe (object="event"); '
        "Timbra recibe eventos completos, no notificaciones ligeras.",
        created_key="created",
    )
    return GatewayEvent(
        provider=PROVIDER,
        event_id=str(data["id"])[:255],
        event_type=str(data["type"])[:100],
        livemode=bool(data.get("livemode")),
        created=datetime.fromtimestamp(int(data["created"]), tz=UTC),
        api_version=str(data.get("api_version") or "")[:40],
        object_id=str(obj.get("id") or "")[:255],
        data=obj,
    )


@dataclass
class StripeAdapter:
    """The GatewayAdapter for Stripe, built per connection."""

    keys: MetadataKeys = field(default_factory=MetadataKeys)
    lookups: Lookups = field(default_factory=NoLookups)
    provider: str = PROVIDER

    def verify_and_parse(
        self, payload: bytes, header: str | None, secrets: Sequence[str], now: datetime
    ) -> GatewayEvent:
        """Verify the signature (any secret), then parse the body."""
        verify_signature(payload, header, secrets, now=now)
        return parse_signed(parse_event, payload)

    def parse_stored(self, payload: str) -> GatewayEvent:
        """Parse an event from the inbox (verified when it arrived)."""
        return parse_event(payload)

    def normalize(self, event: GatewayEvent) -> Outcome:
        """See stripe_mapping.normalize."""
        return stripe_mapping.normalize(event, keys=self.keys, lookups=self.lookups)


class StripeApiLookups:
    """Lookups through Stripe's API with the connection's restricted key (read access to
    charges, invoices, customers and balance transactions). A missing object answers
    "unknown" (None: the event waits); any other failure raises GatewayUnavailable so the
    job retries instead of guessing."""

    def __init__(self, api_key: str, *, client: Any = None) -> None:
        self._client = client or stripe.StripeClient(api_key, max_network_retries=2)

    def __repr__(self) -> str:
        return "StripeApiLookups(api_key=<redacted>)"

    @staticmethod
    def _unavailable(exc: Exception) -> GatewayUnavailable:
        # Never log the key or the object: the error class and Stripe's request id are enough.
        log.warning(
            "Stripe API lookup failed: %s (request %s)", type(exc).__name__, getattr(exc, "request_id", None)
        )
        return GatewayUnavailable(type(exc).__name__)

    def charge(self, charge_id: str) -> Mapping[str, Any] | None:
        return self._call(
            lambda v1: v1.charges.retrieve(charge_id, params={"expand": ["balance_transaction"]})
        )

    def payment_key_of_invoice(self, invoice_id: str) -> str | None:
        listing = self._call(
            lambda v1: v1.invoice_payments.list(params={"invoice": invoice_id, "status": "paid"})
        )
        for item in (listing or {}).get("data") or []:
            payment = item.get("payment") or {}
            return str(payment.get("payment_intent") or payment.get("charge") or "") or None
        return None

    def invoice_of_payment_intent(self, payment_intent_id: str) -> str | None | Literal[False]:
        params = {"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}, "limit": 1}
        listing = self._call(lambda v1: v1.invoice_payments.list(params=params))
        if listing is None:
            return None
        items = listing.get("data") or []
        return str(items[0].get("invoice")) if items else False

    def balance_transaction(self, balance_transaction_id: str) -> Mapping[str, Any] | None:
        return self._call(lambda v1: v1.balance_transactions.retrieve(balance_transaction_id))

    def customer(self, customer_id: str) -> Mapping[str, Any] | None:
        return self._call(lambda v1: v1.customers.retrieve(customer_id, params={"expand": ["tax_ids"]}))

    def _call(self, request: Any) -> dict[str, Any] | None:
        try:
            result = request(self._client.v1)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return None  # no such object: "unknown", the event waits
            raise self._unavailable(exc) from None
        except stripe.StripeError as exc:
            raise self._unavailable(exc) from None
        if result is None:
            return None
        plain = result.to_dict(for_json=True) if hasattr(result, "to_dict") else result
        return json.loads(json.dumps(plain), parse_float=Decimal)


class StripeEventSource:
    """Recent events through Stripe's API (`GET /v1/events`), for the reconciler: the same
    objects, with the same ids, that the webhook delivers (Stripe keeps them 30 days)."""

    def __init__(self, api_key: str, types: Sequence[str], *, client: Any = None) -> None:
        self._lookups = StripeApiLookups(api_key, client=client)
        self._types = list(types)

    def __repr__(self) -> str:
        return "StripeEventSource(api_key=<redacted>)"

    def events(self, since: datetime) -> Iterator[Mapping[str, Any]]:
        """Events created at or after `since` of the types Timbra handles, newest first."""
        params: dict[str, Any] = {"created": {"gte": int(since.timestamp())}, "types": self._types, "limit": 100}
        while True:
            page = self._lookups._call(lambda v1, p=dict(params): v1.events.list(params=p)) or {}
            items = page.get("data") or []
            yield from items
            if not page.get("has_more") or not items:
                return
            params["starting_after"] = items[-1]["id"]
