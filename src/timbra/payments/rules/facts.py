"""A recorded Payment as the facts an invoicing rule looks at.

Metadata is read from the payment's events in the inbox (the raw payloads are the record of
what the gateway said): the payment object's own metadata first, then its subscription's and
its customer's when the payload carries them expanded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from timbra.domain.invoicing_rules import FactLine, PaymentFacts
from timbra.domain.periods import month_name
from timbra.payments.models import Payment, WebhookEvent

SUBSCRIPTION_SOURCES = frozenset({"invoice"})  # a gateway invoice: subscriptions and their renewals


def payment_facts(payment: Payment, *, metadata: dict[str, str] | None = None) -> PaymentFacts:
    """`metadata`: already read for this payment (`payments_metadata`, for many at once)."""
    local = payment.paid_at.astimezone(ZoneInfo(payment.org.timezone))
    return PaymentFacts(
        provider=payment.provider,
        transaction_type="subscription" if payment.source_kind in SUBSCRIPTION_SOURCES else "one_off",
        currency=payment.currency,
        amount=payment.amount,
        description=payment.description,
        lines=tuple(fact_line(line) for line in payment.lines),
        metadata=payment_metadata(payment) if metadata is None else metadata,
        customer_name=(payment.fiscal_data or {}).get("nombre", ""),
        periodo=f"{month_name(local.month)} {local.year}",
        reference=payment.key,
    )


def fact_line(line: Mapping[str, Any]) -> FactLine:
    return FactLine(
        descripcion=str(line.get("descripcion") or ""),
        cantidad=Decimal(str(line.get("cantidad") or 1)),
        amount=Decimal(str(line.get("amount") or 0)),
        price_id=str(line.get("price_id") or ""),
        product_id=str(line.get("product_id") or ""),
    )


def payment_metadata(payment: Payment) -> dict[str, str]:
    """Merged metadata of every stored event about the payment."""
    ids = [i for i in (payment.key, payment.charge_id, payment.payment_intent_id, payment.gateway_invoice_id) if i]
    events = WebhookEvent.objects.filter(connection_id=payment.connection_id).filter(
        Q(payment_id=payment.pk) | Q(object_id__in=ids)
    ).order_by("-received_at").values_list("payload", flat=True)
    merged: dict[str, str] = {}
    for payload in events:
        merged = {**object_metadata(_object(payload)), **merged}  # the newest event's value wins
    return merged


def payments_metadata(payments: Sequence[Payment]) -> dict[int, dict[str, str]]:
    """`payment_metadata` of many payments in one query (the factura global reads thousands)."""
    by_id: dict[str, list[int]] = {}
    for payment in payments:
        for i in {payment.key, payment.charge_id, payment.payment_intent_id, payment.gateway_invoice_id} - {""}:
            by_id.setdefault(i, []).append(payment.pk)
    pks = {payment.pk: payment for payment in payments}
    connections = {payment.connection_id for payment in payments}
    merged: dict[int, dict[str, str]] = {pk: {} for pk in pks}
    events = (
        WebhookEvent.objects.filter(connection_id__in=connections)
        .filter(Q(payment_id__in=list(pks)) | Q(object_id__in=list(by_id)))
        .order_by("-received_at")
        .values_list("payment_id", "object_id", "connection_id", "payload")
    )
    for payment_id, object_id, connection_id, payload in events.iterator(chunk_size=2000):
        owners = {payment_id} if payment_id in pks else set()
        owners |= {pk for pk in by_id.get(object_id, []) if pks[pk].connection_id == connection_id}
        if not owners:
            continue
        found = object_metadata(_object(payload))
        for pk in owners:
            merged[pk] = {**found, **merged[pk]}  # the newest event's value wins
    return merged


def _object(payload: str) -> Mapping[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    obj = (data.get("data") or {}).get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def object_metadata(obj: Mapping[str, Any]) -> dict[str, str]:
    """The object's metadata over its subscription's and its (expanded) customer's."""
    parent = obj.get("parent") or {}
    sources = [
        _expanded(obj.get("customer")),
        obj.get("subscription_details") or parent.get("subscription_details") or {},
        obj,
    ]
    merged: dict[str, str] = {}
    for source in sources:
        meta = source.get("metadata") if isinstance(source, Mapping) else None
        if isinstance(meta, Mapping):
            merged.update({str(k): str(v) for k, v in meta.items() if v not in (None, "")})
    return merged


def _expanded(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
