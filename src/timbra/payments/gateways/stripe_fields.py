"""Reading Stripe objects (plain dicts, any API version) into Timbra's terms.

Pure functions, no `stripe` import: amounts from minor units, forma de pago from the payment
method, fiscal data from tax ids / address / metadata, fees from the balance transaction.
Both payload shapes are read: classic (≤ 2025-02-24.acacia: `invoice.charge`, `charge.invoice`)
and basil and later (those fields removed; docs.stripe.com/changelog/basil/2025-03-31).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from timbra.domain.money import RATE_SCALE, from_minor, round_amount
from timbra.payments.gateways.base import CustomerData, MetadataKeys

# docs.stripe.com/currencies#zero-decimal and #three-decimal: how Stripe counts minor units.
ZERO_DECIMAL = frozenset({
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
})  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})

# c_FormaPago (Anexo 20). PUE forbids "99 Por definir" (CFDI40105 family), so an unknown card
# funding is invoiced as credit card (04), Stripe's most common case in Mexico.
FORMA_TARJETA_CREDITO = "04"
FORMA_TARJETA_DEBITO = "28"
FORMA_TRANSFERENCIA = "03"  # SPEI: Stripe's `customer_balance` bank transfers in MXN
FORMA_EFECTIVO = "01"  # OXXO is paid in cash at the store
FORMA_INTERMEDIARIO = "31"  # any other method: the money came through Stripe as intermediary
_BY_FUNDING = {
    "credit": FORMA_TARJETA_CREDITO,
    "debit": FORMA_TARJETA_DEBITO,
    # A prepaid card draws on a stored balance, no credit line: debit-like.
    "prepaid": FORMA_TARJETA_DEBITO,
}
_BY_TYPE = {
    "oxxo": FORMA_EFECTIVO,
    "customer_balance": FORMA_TRANSFERENCIA,
    "link": FORMA_TARJETA_CREDITO,
}  # Link pays with a saved card whose funding it hides
_CARD_TYPES = frozenset({"card", "card_present", "interac_present"})


class UnsupportedCurrency(ValueError):
    """A currency Stripe counts in thousandths; Timbra stores cents."""


def obj_id(value: Any) -> str:
    """The id of an expandable field: a string id, an expanded object, or nothing."""
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return str(value or "")


def expanded(value: Any) -> Mapping[str, Any] | None:
    """The object when an expandable field came expanded, else None."""
    return value if isinstance(value, Mapping) else None


def amount(minor_units: Any, currency: str) -> Decimal:
    """Stripe's integer minor units as a Decimal in `currency` (1234 MXN → 12.34)."""
    currency = currency.upper()
    if currency in THREE_DECIMAL:
        raise UnsupportedCurrency(currency)
    return from_minor(int(minor_units), 0 if currency in ZERO_DECIMAL else 2)


def timestamp(value: Any) -> datetime | None:
    """A Unix timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def forma_pago_of_charge(charge: Mapping[str, Any]) -> tuple[str, str, bool]:
    """(forma de pago, method label, whether the method was known) from `payment_method_details`."""
    details = charge.get("payment_method_details") or {}
    kind = str(details.get("type") or "")
    if kind in _CARD_TYPES:
        funding = str((details.get(kind) or {}).get("funding") or "unknown")
        return _BY_FUNDING.get(funding, FORMA_TARJETA_CREDITO), f"card/{funding}", funding in _BY_FUNDING
    if kind in _BY_TYPE:
        return _BY_TYPE[kind], kind, kind != "link"
    if kind:
        return FORMA_INTERMEDIARIO, kind, True
    return FORMA_TARJETA_CREDITO, "unknown", False


def forma_pago_of_types(types: Any) -> tuple[str, str]:
    """Best guess when only the allowed method types are known (a PaymentIntent, an invoice)."""
    kinds = [str(t) for t in types or []]
    if len(kinds) == 1 and kinds[0] in _BY_TYPE:
        return _BY_TYPE[kinds[0]], kinds[0]
    if len(kinds) == 1 and kinds[0] not in _CARD_TYPES:
        return FORMA_INTERMEDIARIO, kinds[0]
    return FORMA_TARJETA_CREDITO, "card/unknown" if "card" in kinds else "unknown"


def settlement(balance_transaction: Mapping[str, Any] | None, currency: str) -> dict[str, Any]:
    """Fee, net, settlement currency and exchange rate from an expanded balance transaction."""
    if not balance_transaction:
        return {}
    settled_in = str(balance_transaction.get("currency") or "").upper()
    rate = balance_transaction.get("exchange_rate")
    values: dict[str, Any] = {
        "balance_transaction_id": obj_id(balance_transaction),
        "settlement_currency": settled_in,
    }
    if settled_in and balance_transaction.get("fee") is not None:
        values["fee"] = amount(balance_transaction["fee"], settled_in)
        values["net"] = amount(balance_transaction["net"], settled_in)
    if rate is not None and settled_in == "MXN" and currency != "MXN":
        # TipoCambio: MXN per unit of Moneda, six decimals at most (Anexo 20, t_TipoCambio).
        values["exchange_rate"] = round_amount(Decimal(str(rate)), RATE_SCALE)
    return values


def metadata_chain(*objects: Mapping[str, Any] | None) -> dict[str, str]:
    """Merged metadata, the first object winning (the payment's own over its subscription's)."""
    merged: dict[str, str] = {}
    for obj in reversed([o for o in objects if o]):
        merged.update({str(k): str(v) for k, v in (obj.get("metadata") or {}).items() if v not in (None, "")})
    return merged


def mx_rfc(tax_ids: Any) -> str:
    """The first `mx_rfc` of a list of Stripe tax ids (`customer_tax_ids` or `tax_ids.data`)."""
    items = tax_ids.get("data") if isinstance(tax_ids, Mapping) else tax_ids
    for item in items or []:
        if item.get("type") == "mx_rfc" and item.get("value"):
            return str(item["value"])
    return ""


def mexican_postal_code(address: Mapping[str, Any] | None) -> str:
    """The address's CP when it can be Mexican (country MX or unstated) and has 5 digits."""
    if not address or str(address.get("country") or "MX").upper() != "MX":
        return ""
    code = str(address.get("postal_code") or "").strip()
    return code if len(code) == 5 and code.isdigit() else ""


def customer_data(
    *,
    customer: Any,
    name: Any,
    email: Any,
    address: Mapping[str, Any] | None,
    tax_ids: Any,
    metadata: Mapping[str, str],
    keys: MetadataKeys,
) -> CustomerData:
    """Fiscal data: gateway fields first, then the metadata keys the org configured."""
    cus = expanded(customer) or {}
    return CustomerData(
        gateway_customer_id=obj_id(customer),
        rfc=mx_rfc(tax_ids) or mx_rfc(cus.get("tax_ids")) or metadata.get(keys.rfc, ""),
        nombre=metadata.get(keys.nombre, "") or str(name or cus.get("name") or ""),
        email=str(email or cus.get("email") or ""),
        codigo_postal=mexican_postal_code(address)
        or mexican_postal_code(cus.get("address"))
        or metadata.get(keys.codigo_postal, ""),
        regimen_fiscal=metadata.get(keys.regimen_fiscal, ""),
        uso_cfdi=metadata.get(keys.uso_cfdi, ""),
    )
