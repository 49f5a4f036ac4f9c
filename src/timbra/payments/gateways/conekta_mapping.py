"""Conekta events → NormalizedPayment / RefundBatch.

The money's key is the order id (`ord_…`): `order.paid` and every refund event of the
order carry it (a charge as `order_id`), so redeliveries and refunds meet on one payment.
Amounts are integer cents (developers.conekta.com, "amount": 1766900 = $17,669.00).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from timbra.domain.money import from_minor
from timbra.payments.gateways import lines as common
from timbra.payments.gateways import stripe_fields as f
from timbra.payments.gateways.base import (
    GatewayEvent,
    MetadataKeys,
    NormalizedPayment,
    NormalizedRefund,
    Outcome,
    PaymentLine,
    RefundBatch,
    Skip,
)

PROVIDER = "conekta"
REFUND_EVENTS = ("order.refunded", "order.partially_refunded", "charge.refunded", "charge.partially_refunded")
HANDLED = ("order.paid", *REFUND_EVENTS)
_CARD = {"credit": common.FORMA_TARJETA_CREDITO, "debit": common.FORMA_TARJETA_DEBITO}
_BY_OBJECT = {"cash_payment": common.FORMA_EFECTIVO, "bank_transfer_payment": common.FORMA_TRANSFERENCIA}
_BY_TYPE = {
    "oxxo": common.FORMA_EFECTIVO,
    "cash": common.FORMA_EFECTIVO,
    "spei": common.FORMA_TRANSFERENCIA,
    "bank_transfer": common.FORMA_TRANSFERENCIA,
}


def normalize(event: GatewayEvent, *, keys: MetadataKeys) -> Outcome:
    """The payment or refunds a Conekta event stands for, or why none."""
    if event.event_type == "order.paid":
        return _from_order(event, event.data, keys)
    if event.event_type in REFUND_EVENTS:
        return _refunds(event, event.data)
    return Skip("ignored", f"Los eventos «{event.event_type}» de Conekta no generan facturas en Timbra.")


def amount(minor_units: Any) -> Decimal:
    """Conekta's integer cents as a Decimal (MXN and USD both count cents)."""
    return from_minor(int(minor_units), 2)


def _when(value: Any, event: GatewayEvent) -> datetime:
    when = f.timestamp(value) or event.created
    if when is None:  # parse_event requires created_at: only a hand-made event lacks both
        raise ValueError("Conekta event without a date")
    return when


def _charges(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list((obj.get("charges") or {}).get("data") or [])


def _from_order(event: GatewayEvent, order: Mapping[str, Any], keys: MetadataKeys) -> Outcome:
    order_id = str(order.get("id") or "")
    currency = str(order.get("currency") or "MXN").upper()
    paid = amount(order.get("amount") or 0)
    if paid <= 0:
        return Skip("ignored", f"La orden {order_id} de Conekta se pagó con $0: no genera CFDI.")
    if currency != "MXN":
        return Skip(
            "waiting",
            f"Orden de Conekta en {currency}: Conekta no informa el tipo de cambio; "
            "falta configurar su fuente en la organización.",
        )
    charges = [c for c in _charges(order) if c.get("status") in ("paid", "partially_refunded", "refunded")]
    main = max(charges, key=lambda c: int(c.get("amount") or 0), default={})
    forma, label, known = forma_pago(main.get("payment_method") or {})
    fee = sum((amount(c["fee"]) for c in charges if c.get("fee") is not None), Decimal(0))
    has_fee = any(c.get("fee") is not None for c in charges)
    info = order.get("customer_info") or {}
    return NormalizedPayment(
        provider=PROVIDER,
        key=order_id,
        source_kind="invoice",  # an order carries its own lines, like a gateway invoice
        livemode=event.livemode,
        currency=currency,
        amount=paid,
        paid_at=_when(main.get("paid_at") or order.get("updated_at"), event),
        forma_pago=forma,
        payment_method=label,
        method_known=known,
        lines=common.lines_or_total(_lines(order), paid, description=f"Orden {order_id} de Conekta"),
        customer=f.customer_data(
            customer=info.get("customer_id") or "",
            name=info.get("name"),
            email=info.get("email"),
            address=None,
            tax_ids=None,
            metadata=f.metadata_chain(order),
            keys=keys,
        ),
        charge_id=str(main.get("id") or ""),
        description=f"Orden {order_id} de Conekta",
        fee=fee if has_fee else None,
        net=paid - fee if has_fee else None,
        settlement_currency=currency if has_fee else "",
    )


def forma_pago(method: Mapping[str, Any]) -> tuple[str, str, bool]:
    """(forma de pago, label, known) of a charge's `payment_method`. With several charges
    the caller passes the largest one: the CFDI states the forma de pago of the greatest
    amount (Anexo 20, guía de llenado, FormaPago)."""
    kind, obj = str(method.get("type") or ""), str(method.get("object") or "")
    if obj == "card_payment" or kind in (*_CARD, "card"):
        return _CARD.get(kind, common.FORMA_TARJETA_CREDITO), f"card/{kind or 'unknown'}", kind in _CARD
    if forma := _BY_OBJECT.get(obj) or _BY_TYPE.get(kind):
        return forma, kind or obj, True
    if kind or obj:
        return common.FORMA_INTERMEDIARIO, kind or obj, True
    return common.FORMA_TARJETA_CREDITO, "unknown", False


def _lines(order: Mapping[str, Any]) -> list[PaymentLine]:
    """Line items and shipping at what they cost; discounts make them not add up (one line)."""
    items = [
        PaymentLine(
            descripcion=str(item.get("name") or item.get("description") or "Producto"),
            cantidad=Decimal(int(item.get("quantity") or 1)),
            amount=amount(int(item.get("unit_price") or 0) * int(item.get("quantity") or 1)),
            price_id=str(item.get("sku") or ""),
            product_id=str(item.get("product_id") or ""),
        )
        for item in (order.get("line_items") or {}).get("data") or []
    ]
    shipping = [
        PaymentLine(
            descripcion=f"Envío ({line.get('carrier') or 'paquetería'})", cantidad=Decimal(1), amount=cost
        )
        for line in (order.get("shipping_lines") or {}).get("data") or []
        if (cost := amount(line.get("amount") or 0)) > 0
    ]
    return items + shipping


def _refunds(event: GatewayEvent, obj: Mapping[str, Any]) -> Outcome:
    """Every refund the event lists; a charge event names its order as `order_id`."""
    is_charge = obj.get("object") == "charge"
    order_id = str(obj.get("order_id") if is_charge else obj.get("id") or "")
    charges = [obj] if is_charge else _charges(obj)
    currency = str(obj.get("currency") or "MXN").upper()
    refunds = tuple(
        NormalizedRefund(
            provider=PROVIDER,
            refund_id=str(refund.get("id") or ""),
            livemode=event.livemode,
            currency=currency,
            amount=abs(amount(refund.get("amount") or 0)),  # Conekta lists refunds as negative amounts
            refunded_at=_when(refund.get("created_at"), event),
            payment_key=order_id,
            charge_id=str(charge.get("id") or ""),
        )
        for charge in charges
        for refund in (charge.get("refunds") or {}).get("data") or []
        if refund.get("id")
    )
    if not refunds:
        return Skip("ignored", f"El evento de Conekta no trae devoluciones de la orden {order_id}.")
    total = obj.get("amount_refunded") if not is_charge else None
    return RefundBatch(
        provider=PROVIDER,
        livemode=event.livemode,
        currency=currency,
        refunds=refunds,
        payment_key=order_id,
        charge_id=str(charges[0].get("id") or "") if len(charges) == 1 else "",
        amount_refunded=abs(amount(total)) if total is not None else None,
    )
