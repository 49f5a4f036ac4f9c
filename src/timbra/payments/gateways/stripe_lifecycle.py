"""Stripe events after the payment: refunds, disputes, voided invoices, customer changes.

Each maps to a gateway-neutral outcome of gateways/base.py; the services decide what it does
to Timbra's records (services/refunds.py, services/lifecycle.py). Both refund shapes are
read: `charge.refunded` carries the charge, with its `refunds` list only in API versions
before 2022-11-15 (later ones give just `amount_refunded`: the refunds' own
`refund.created`/`charge.refund.updated` events say which ones), while the refund events
carry the refund object itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from timbra.payments.gateways import stripe_fields as f
from timbra.payments.gateways.base import (
    CustomerData,
    CustomerUpdate,
    DisputeStatus,
    DisputeUpdate,
    GatewayEvent,
    GatewayInvoiceVoided,
    GatewayUnavailable,
    Lookups,
    MetadataKeys,
    NormalizedRefund,
    Outcome,
    RefundBatch,
    RefundStatus,
    Skip,
)

PROVIDER = "stripe"
REFUND_EVENTS = frozenset({"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"})
DISPUTE_EVENTS = frozenset({"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"})
TAX_ID_EVENTS = frozenset({"customer.tax_id.created", "customer.tax_id.updated", "customer.tax_id.deleted"})
HANDLED = frozenset(
    {"charge.refunded", "invoice.voided", "customer.updated", *REFUND_EVENTS, *DISPUTE_EVENTS, *TAX_ID_EVENTS}
)
_REFUND_STATUS: dict[str, RefundStatus] = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}
# A dispute closed "warning_closed" was an inquiry that never became a chargeback: no money lost.
_DISPUTE_OUTCOME: dict[str, DisputeStatus] = {"won": "won", "warning_closed": "won", "lost": "lost"}


def normalize(event: GatewayEvent, *, keys: MetadataKeys, lookups: Lookups) -> Outcome:
    """The outcome of a Stripe lifecycle event (the caller checked it is in HANDLED)."""
    try:
        return _normalize(event, keys, lookups)
    except f.UnsupportedCurrency as exc:
        return Skip("ignored", f"Timbra no factura en {exc} (Stripe la cuenta en milésimas).")


def _normalize(event: GatewayEvent, keys: MetadataKeys, lookups: Lookups) -> Outcome:
    obj, kind = event.data, event.event_type
    if kind == "charge.refunded":
        return _from_refunded_charge(event, obj, lookups)
    if kind in REFUND_EVENTS:
        return refund(obj, livemode=event.livemode, fallback_at=event, lookups=lookups)
    if kind in DISPUTE_EVENTS:
        return _from_dispute(event, obj)
    if kind == "invoice.voided":
        return _from_voided_invoice(event, obj)
    if kind == "customer.updated":
        return _from_customer(event, obj, keys, lookups)
    return _from_tax_id(event, obj)


# --- refunds ---------------------------------------------------------------------------------------


def refund(
    obj: Mapping[str, Any],
    *,
    livemode: bool,
    fallback_at: GatewayEvent,
    lookups: Lookups,
    charge: Mapping[str, Any] | None = None,
) -> NormalizedRefund:
    """One Stripe Refund object (`re_…`), with its charge when it came inside one."""
    charge = charge or f.expanded(obj.get("charge")) or {}
    currency = str(obj.get("currency") or charge.get("currency") or "").upper()
    charge_id = f.obj_id(obj.get("charge")) or f.obj_id(charge)
    pi_id = f.obj_id(obj.get("payment_intent")) or f.obj_id(charge.get("payment_intent"))
    money = f.settlement(_balance_transaction(obj.get("balance_transaction"), lookups), currency)
    money.pop("exchange_rate", None)
    return NormalizedRefund(
        provider=PROVIDER,
        refund_id=str(obj.get("id") or ""),
        livemode=livemode,
        currency=currency,
        amount=f.amount(obj.get("amount") or 0, currency),
        refunded_at=f.timestamp(obj.get("created")) or fallback_at.created,  # type: ignore[arg-type]
        status=_REFUND_STATUS.get(str(obj.get("status") or ""), "pending"),
        payment_key=pi_id or charge_id,
        charge_id=charge_id,
        payment_intent_id=pi_id,
        reason=str(obj.get("reason") or "")[:60],
        balance_transaction_id=money.pop("balance_transaction_id", "")
        or f.obj_id(obj.get("balance_transaction")),
        **money,
    )


def _balance_transaction(ref: Any, lookups: Lookups) -> Mapping[str, Any] | None:
    """The refund's balance transaction (its fee and net, for reconciliation): expanded, else
    from the API when the connection has a key. Never worth delaying the credit note for."""
    if (bt := f.expanded(ref)) or not f.obj_id(ref):
        return bt
    try:
        return lookups.balance_transaction(f.obj_id(ref))
    except GatewayUnavailable:
        return None


def _from_refunded_charge(event: GatewayEvent, charge: Mapping[str, Any], lookups: Lookups) -> Outcome:
    currency = str(charge.get("currency") or "").upper()
    listing = charge.get("refunds")
    items = (listing.get("data") if isinstance(listing, Mapping) else listing) or []
    pi_id = f.obj_id(charge.get("payment_intent"))
    return RefundBatch(
        provider=PROVIDER,
        livemode=event.livemode,
        currency=currency,
        refunds=tuple(
            refund(r, livemode=event.livemode, fallback_at=event, lookups=lookups, charge=charge)
            for r in items
        ),
        payment_key=pi_id or str(charge.get("id") or ""),
        charge_id=str(charge.get("id") or ""),
        payment_intent_id=pi_id,
        amount_refunded=f.amount(charge.get("amount_refunded") or 0, currency),
    )


# --- disputes ---------------------------------------------------------------------------------------


def _from_dispute(event: GatewayEvent, dispute: Mapping[str, Any]) -> Outcome:
    currency = str(dispute.get("currency") or "").upper()
    gateway_status = str(dispute.get("status") or "")
    closed = event.event_type == "charge.dispute.closed" or gateway_status in _DISPUTE_OUTCOME
    charge = f.expanded(dispute.get("charge")) or {}
    charge_id = f.obj_id(dispute.get("charge"))
    pi_id = f.obj_id(dispute.get("payment_intent")) or f.obj_id(charge.get("payment_intent"))
    fees = [t.get("fee") for t in dispute.get("balance_transactions") or [] if t.get("fee") is not None]
    return DisputeUpdate(
        provider=PROVIDER,
        livemode=event.livemode,
        dispute_id=str(dispute.get("id") or ""),
        currency=currency,
        amount=f.amount(dispute.get("amount") or 0, currency),
        status=_DISPUTE_OUTCOME.get(gateway_status, "open") if closed else "open",
        gateway_status=gateway_status[:30],
        at=event.created,  # type: ignore[arg-type]
        reason=str(dispute.get("reason") or "")[:60],
        payment_key=pi_id or charge_id,
        charge_id=charge_id,
        payment_intent_id=pi_id,
        # Stripe charges the dispute fee in the account's currency (MXN for a Mexican account).
        fee=f.amount(sum(int(x) for x in fees), "MXN") if fees else None,
    )


# --- invoice.voided ---------------------------------------------------------------------------------


def _from_voided_invoice(event: GatewayEvent, inv: Mapping[str, Any]) -> Outcome:
    return GatewayInvoiceVoided(
        provider=PROVIDER,
        livemode=event.livemode,
        gateway_invoice_id=str(inv.get("id") or ""),
        voided_at=f.timestamp((inv.get("status_transitions") or {}).get("voided_at")) or event.created,  # type: ignore[arg-type]
        number=str(inv.get("number") or ""),
        payment_key=f.obj_id(inv.get("payment_intent")),
    )


# --- customers --------------------------------------------------------------------------------------


def _from_customer(
    event: GatewayEvent, cus: Mapping[str, Any], keys: MetadataKeys, lookups: Lookups
) -> Outcome:
    tax_ids = cus.get("tax_ids")
    if tax_ids is None:
        # Not in the payload since 2020-08-27 unless expanded: ask the API when there is a key.
        tax_ids = (lookups.customer(str(cus.get("id") or "")) or {}).get("tax_ids")
    data = f.customer_data(
        customer=cus,
        name=cus.get("name"),
        email=cus.get("email"),
        address=cus.get("address"),
        tax_ids=tax_ids,
        metadata=f.metadata_chain(cus),
        keys=keys,
    )
    return CustomerUpdate(
        provider=PROVIDER,
        livemode=event.livemode,
        gateway_customer_id=data.gateway_customer_id,
        customer=data,
    )


def _from_tax_id(event: GatewayEvent, tax_id: Mapping[str, Any]) -> Outcome:
    if tax_id.get("type") != "mx_rfc":
        return Skip(
            "ignored", f"Identificador fiscal «{tax_id.get('type')}»: Timbra solo usa el RFC (mx_rfc)."
        )
    customer_id = f.obj_id(tax_id.get("customer"))
    if not customer_id:
        return Skip("ignored", "El identificador fiscal no pertenece a un cliente de Stripe.")
    deleted = event.event_type == "customer.tax_id.deleted"
    return CustomerUpdate(
        provider=PROVIDER,
        livemode=event.livemode,
        gateway_customer_id=customer_id,
        customer=CustomerData(
            gateway_customer_id=customer_id, rfc="" if deleted else str(tax_id.get("value") or "")
        ),
        rfc_removed=deleted,
    )
