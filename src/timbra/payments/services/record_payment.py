"""Record what one event says about a payment: insert it, or merge into the existing row.

Several events describe the same money (invoice.paid, charge.succeeded,
payment_intent.succeeded) in any order (reference/reliability.md §2.2 E2). They meet on the
unique (org, provider, key) and merge forward-only: until the payment is invoiced the
richest description wins (a Stripe invoice's lines over a bare charge), a known payment
method replaces a guessed one, and ids and fees only ever fill blanks.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from timbra.payments.gateways.base import SOURCE_RANK, NormalizedPayment
from timbra.payments.models import GatewayConnection, Payment

_FILL_IF_BLANK = (
    "charge_id",
    "payment_intent_id",
    "gateway_invoice_id",
    "balance_transaction_id",
    "settlement_currency",
)
_FILL_IF_NONE = ("fee", "net", "exchange_rate")


def record_payment(connection: GatewayConnection, payment: NormalizedPayment, *, as_of: datetime) -> Payment:
    """The Payment row for `payment.key`, created or merged with what this event adds."""
    existing = _find(connection, payment.key)
    if existing is None:
        try:
            with transaction.atomic():
                return Payment.objects.create(
                    **_row_values(connection, payment), created_at=as_of, updated_at=as_of
                )
        except IntegrityError:
            existing = _find(connection, payment.key)  # a concurrent worker recorded it first
            if existing is None:
                raise
    return _merge(existing, payment, as_of=as_of)


def _find(connection: GatewayConnection, key: str) -> Payment | None:
    return Payment.objects.filter(org_id=connection.org_id, provider=connection.provider, key=key).first()


def _row_values(connection: GatewayConnection, payment: NormalizedPayment) -> dict[str, Any]:
    return {
        "org_id": connection.org_id,
        "connection": connection,
        "livemode": connection.livemode,
        "provider": payment.provider,
        "key": payment.key,
        **_description(payment),
        **_method(payment),
        **{name: getattr(payment, name) for name in (*_FILL_IF_BLANK, *_FILL_IF_NONE)},
        "paid_at": payment.paid_at,
        "status": Payment.PENDING,
        "status_reason": "" if payment.invoiceable else _covered_reason(payment),
    }


def _description(payment: NormalizedPayment) -> dict[str, Any]:
    """The fields an invoiceable description of the money decides."""
    return {
        "source_kind": payment.source_kind,
        "invoiceable": payment.invoiceable,
        "currency": payment.currency,
        "amount": payment.amount,
        "description": payment.description[:1000],
        "gateway_customer_id": payment.customer.gateway_customer_id,
        "lines": [_line_json(asdict(line)) for line in payment.lines],
        "fiscal_data": {k: v for k, v in asdict(payment.customer).items() if v},
    }


def _method(payment: NormalizedPayment) -> dict[str, Any]:
    return {
        "forma_pago": payment.forma_pago,
        "payment_method": payment.payment_method[:60],
        "method_known": payment.method_known,
    }


def _line_json(line: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in line.items()}


def _covered_reason(payment: NormalizedPayment) -> str:
    return (
        f"Este cobro pertenece a la factura {payment.gateway_invoice_id} de Stripe; se factura cuando llegue "
        "su evento invoice.paid (nunca dos veces el mismo dinero)."
    )


def _merge(row: Payment, payment: NormalizedPayment, *, as_of: datetime) -> Payment:
    description: dict[str, Any] = {}
    if payment.invoiceable and (
        not row.invoiceable or SOURCE_RANK[payment.source_kind] > SOURCE_RANK[row.source_kind]
    ):
        description |= _description(payment)
    if payment.method_known and not row.method_known:
        description |= _method(payment)
    blanks = {n: getattr(payment, n) for n in _FILL_IF_BLANK if getattr(payment, n) and not getattr(row, n)}
    blanks |= {
        n: getattr(payment, n)
        for n in _FILL_IF_NONE
        if getattr(payment, n) is not None and getattr(row, n) is None
    }
    if description:
        # Conditional UPDATE: what the CFDI says is frozen once a worker has invoiced it.
        Payment.objects.filter(pk=row.pk).exclude(status=Payment.INVOICED).update(
            **description, updated_at=as_of
        )
    if blanks:
        Payment.objects.filter(pk=row.pk).update(**blanks, updated_at=as_of)
    if description or blanks:
        row.refresh_from_db()
    return row
