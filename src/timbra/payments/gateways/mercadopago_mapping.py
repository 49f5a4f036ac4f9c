"""A Mercado Pago payment (`GET /v1/payments/{id}`) → NormalizedPayment or RefundBatch.

The money's key is the payment id. Amounts are decimals in the payment's currency
(`transaction_amount: 580.5`), read as Decimal. `payment.created` stands for the money
received; `payment.updated` for the payment's refunds when it has any (a refund changes
the payment), else for the money too, so a late approval (OXXO, SPEI) is invoiced.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from timbra.domain.money import round_amount
from timbra.payments.gateways import lines as common
from timbra.payments.gateways import stripe_fields as f
from timbra.payments.gateways.base import (
    CustomerData,
    MetadataKeys,
    NormalizedPayment,
    NormalizedRefund,
    Outcome,
    PaymentLine,
    RefundBatch,
    RefundStatus,
    Skip,
)

PROVIDER = "mercadopago"
PAID_STATUSES = ("approved", "refunded", "charged_back", "in_mediation")
# payment_type_id → c_FormaPago. Mercado Pago's own balance is electronic money held at a
# payment institution: 06 Dinero electrónico, not a transfer.
_FORMA = {
    "credit_card": common.FORMA_TARJETA_CREDITO,
    "debit_card": common.FORMA_TARJETA_DEBITO,
    "prepaid_card": common.FORMA_TARJETA_DEBITO,  # no credit line: debit-like, as with Stripe
    "ticket": common.FORMA_EFECTIVO,  # OXXO and other stores
    "atm": common.FORMA_EFECTIVO,  # paid in cash at a bank's ATM or window
    "bank_transfer": common.FORMA_TRANSFERENCIA,  # SPEI
    "account_money": common.FORMA_DINERO_ELECTRONICO,
}
_REFUND_STATUS: dict[str, RefundStatus] = {
    "approved": "succeeded",
    "rejected": "failed",
    "cancelled": "canceled",
}


def normalize(payment: Mapping[str, Any], *, event_type: str, keys: MetadataKeys) -> Outcome:
    """What `payment`, as Mercado Pago reports it now, means for the notification received."""
    pid = str(payment.get("id") or "")
    if payment.get("status") not in PAID_STATUSES or not payment.get("date_approved"):
        return Skip("ignored", f"El pago {pid} de Mercado Pago no está aprobado ({payment.get('status')}).")
    if event_type != "payment.created" and (refunds := _refunds(payment)):
        return refunds
    return _payment(payment, keys)


def _payment(p: Mapping[str, Any], keys: MetadataKeys) -> Outcome:
    pid = str(p["id"])
    currency = str(p.get("currency_id") or "MXN").upper()
    if currency != "MXN":
        return Skip(
            "waiting",
            f"Pago de Mercado Pago en {currency}: falta el tipo de cambio (fuente de la organización pendiente).",
        )
    paid = _money(p.get("transaction_amount"))
    kind = str(p.get("payment_type_id") or "")
    fee = _fee(p)
    net = (p.get("transaction_details") or {}).get("net_received_amount")
    return NormalizedPayment(
        provider=PROVIDER,
        key=pid,
        source_kind="charge",
        livemode=bool(p.get("live_mode")),
        currency=currency,
        amount=paid,
        paid_at=_date(p.get("date_approved")),
        forma_pago=_FORMA.get(kind, common.FORMA_INTERMEDIARIO),
        payment_method=f"{kind}/{p.get('payment_method_id') or ''}"[:60],
        method_known=bool(kind),
        lines=common.lines_or_total(_lines(p), paid, description=_description(p)),
        customer=_payer(p, keys),
        charge_id=pid,  # what wakes events about this payment that waited for it
        description=_description(p),
        fee=fee,
        net=_money(net) if net is not None else None,
        settlement_currency=currency if fee is not None or net is not None else "",
    )


def _money(value: Any) -> Decimal:
    return round_amount(Decimal(str(value or 0)))


def _date(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _description(p: Mapping[str, Any]) -> str:
    return str(p.get("description") or f"Pago {p.get('id')} de Mercado Pago")[:1000]


def _fee(p: Mapping[str, Any]) -> Decimal | None:
    """What Mercado Pago kept from the seller (`fee_payer: collector`); None when not reported."""
    details = p.get("fee_details")
    if details is None:
        return None
    return sum(
        (_money(d.get("amount")) for d in details if d.get("fee_payer", "collector") == "collector"),
        Decimal(0),
    )


def _lines(p: Mapping[str, Any]) -> list[PaymentLine]:
    items = (p.get("additional_info") or {}).get("items") or []
    return [
        PaymentLine(
            descripcion=str(item.get("title") or item.get("description") or "Producto"),
            cantidad=Decimal(str(item.get("quantity") or 1)),
            amount=_money(
                Decimal(str(item.get("unit_price") or 0)) * Decimal(str(item.get("quantity") or 1))
            ),
            price_id=str(item.get("id") or ""),
        )
        for item in items
    ]


def _payer(p: Mapping[str, Any], keys: MetadataKeys) -> CustomerData:
    """Email and RFC from `payer`; name from additional_info; the rest from metadata keys."""
    payer = p.get("payer") or {}
    extra = (p.get("additional_info") or {}).get("payer") or {}
    ident = payer.get("identification") or {}
    metadata = f.metadata_chain(p)
    name = " ".join(str(x) for x in (extra.get("first_name"), extra.get("last_name")) if x) or " ".join(
        str(x) for x in (payer.get("first_name"), payer.get("last_name")) if x
    )
    rfc = str(ident.get("number") or "") if str(ident.get("type") or "").upper() == "RFC" else ""
    return CustomerData(
        gateway_customer_id=str(payer.get("id") or ""),
        rfc=rfc or metadata.get(keys.rfc, ""),
        nombre=metadata.get(keys.nombre, "") or name,
        email=str(payer.get("email") or ""),
        codigo_postal=metadata.get(keys.codigo_postal, "")
        or f.mexican_postal_code({"postal_code": (extra.get("address") or {}).get("zip_code")}),
        regimen_fiscal=metadata.get(keys.regimen_fiscal, ""),
        uso_cfdi=metadata.get(keys.uso_cfdi, ""),
    )


def _refunds(p: Mapping[str, Any]) -> RefundBatch | None:
    pid = str(p["id"])
    currency = str(p.get("currency_id") or "MXN").upper()
    refunds = tuple(
        NormalizedRefund(
            provider=PROVIDER,
            refund_id=str(r["id"]),
            livemode=bool(p.get("live_mode")),
            currency=currency,
            amount=_money(r.get("amount")),
            refunded_at=_date(r.get("date_created") or p.get("date_last_updated")),
            status=_REFUND_STATUS.get(str(r.get("status") or "approved"), "pending"),
            payment_key=pid,
            charge_id=pid,
            reason=str(r.get("reason") or ""),
        )
        for r in p.get("refunds") or []
        if r.get("id")
    )
    if not refunds:
        return None
    return RefundBatch(
        provider=PROVIDER,
        livemode=bool(p.get("live_mode")),
        currency=currency,
        refunds=refunds,
        payment_key=pid,
        charge_id=pid,
        amount_refunded=_money(p.get("transaction_amount_refunded")),
    )
