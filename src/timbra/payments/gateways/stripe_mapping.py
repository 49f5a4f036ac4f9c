"""Stripe events → NormalizedPayment: which money an event is about, and how to invoice it.

The key of the money is the PaymentIntent id, else the charge id. That is what Stripe's
own InvoicePayment points at ("if the charge has a payment intent, the Invoice Payment
surfaces the payment intent instead"), and it is the one id that `invoice.paid` (classic
`payment_intent`, basil `payments`), `charge.succeeded` (`payment_intent`) and
`payment_intent.succeeded` (`id`) all carry in every API version. A charge that belongs
to a Stripe invoice is never invoiced on its own: the invoice's event does it
(reference/products.md §3, "deduplicate on the source object id").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from timbra.payments.gateways import stripe_fields as f
from timbra.payments.gateways import stripe_lifecycle
from timbra.payments.gateways.base import (
    CustomerData,
    GatewayEvent,
    Lookups,
    MetadataKeys,
    NormalizedPayment,
    Outcome,
    PaymentLine,
    Skip,
)

PROVIDER = "stripe"
HANDLED = ("invoice.paid", "charge.succeeded", "charge.captured", "payment_intent.succeeded")
KEY_HELP = (
    "Agrega a la conexión una llave restringida de Stripe con lectura de cargos y facturas, "
    "o usa en el webhook una versión de la API anterior a 2025-03-31.basil."
)


def normalize(event: GatewayEvent, *, keys: MetadataKeys, lookups: Lookups) -> Outcome:
    """The payment a Stripe event stands for, or why it stands for none (yet)."""
    if event.event_type in stripe_lifecycle.HANDLED:  # refunds, disputes, voids, customers
        return stripe_lifecycle.normalize(event, keys=keys, lookups=lookups)
    if event.event_type not in HANDLED:
        return Skip("ignored", f"Los eventos «{event.event_type}» todavía no generan facturas en Timbra.")
    obj = event.data
    try:
        if event.event_type == "invoice.paid":
            return _from_invoice(event, obj, keys, lookups)
        if event.event_type == "payment_intent.succeeded":
            return _from_payment_intent(event, obj, keys, lookups)
        return _from_charge(event, obj, keys, lookups)
    except f.UnsupportedCurrency as exc:
        return Skip("ignored", f"Timbra no factura en {exc} (Stripe la cuenta en milésimas).")


# --- invoice.paid ----------------------------------------------------------------------------


def _from_invoice(
    event: GatewayEvent, inv: Mapping[str, Any], keys: MetadataKeys, lookups: Lookups
) -> NormalizedPayment | Skip:
    currency = str(inv.get("currency") or "").upper()
    paid = f.amount(inv.get("amount_paid") or 0, currency)
    number = str(inv.get("number") or inv.get("id"))
    if skip := _unbillable_invoice(inv, paid, number):
        return skip
    pi_id, charge_ref = _invoice_payment(inv, lookups)
    key = pi_id or f.obj_id(charge_ref)
    if not key:
        return Skip(
            "waiting",
            f"El evento no dice qué pago cubrió la factura {number}. {KEY_HELP}",
            waiting_on=str(inv.get("id") or ""),
        )
    charge = f.expanded(charge_ref) or (
        lookups.charge(f.obj_id(charge_ref)) if f.obj_id(charge_ref) else None
    )
    method = _method(charge, (inv.get("payment_settings") or {}).get("payment_method_types"))
    money = _settlement(charge, currency, lookups)
    if isinstance(money, Skip):
        return money
    return NormalizedPayment(
        provider=PROVIDER,
        key=key,
        source_kind="invoice",
        livemode=event.livemode,
        currency=currency,
        amount=paid,
        paid_at=f.timestamp((inv.get("status_transitions") or {}).get("paid_at")) or _when(event),
        forma_pago=method[0],
        payment_method=method[1],
        method_known=method[2],
        lines=_invoice_lines(inv, currency, paid, number),
        customer=_payer(
            inv.get("customer"),
            (inv, _subscription_details(inv)),
            keys,
            lookups,
            wanted=True,
            name=inv.get("customer_name"),
            email=inv.get("customer_email"),
            address=inv.get("customer_address"),
            tax_ids=inv.get("customer_tax_ids"),
        ),
        charge_id=f.obj_id(charge_ref),
        payment_intent_id=pi_id,
        gateway_invoice_id=str(inv.get("id") or ""),
        description=f"Factura {number} de Stripe",
        **money,
    )


def _unbillable_invoice(inv: Mapping[str, Any], paid: Decimal, number: str) -> Skip | None:
    if paid <= 0:
        return Skip(
            "ignored",
            f"La factura {number} de Stripe se pagó con $0 (prueba o saldo a favor): no genera CFDI.",
        )
    if inv.get("paid_out_of_band"):
        return Skip(
            "ignored",
            f"La factura {number} se marcó como pagada fuera de Stripe; la forma de pago "
            "la dirá la configuración de reglas (pendiente).",
        )
    return None


def _invoice_payment(inv: Mapping[str, Any], lookups: Lookups) -> tuple[str, Any]:
    """(PaymentIntent id, charge id or object) that paid the invoice, in either payload shape."""
    if "payment_intent" in inv or "charge" in inv:  # classic shape
        return f.obj_id(inv.get("payment_intent")), inv.get("charge")
    for item in (inv.get("payments") or {}).get("data") or []:  # basil, when included
        if item.get("status") == "paid":
            payment = item.get("payment") or {}
            return f.obj_id(payment.get("payment_intent")), payment.get("charge")
    key = lookups.payment_key_of_invoice(str(inv.get("id") or "")) or ""
    return (key, None) if key.startswith("pi_") else ("", key or None)


def _subscription_details(inv: Mapping[str, Any]) -> Mapping[str, Any] | None:
    parent = inv.get("parent") or {}
    return inv.get("subscription_details") or parent.get("subscription_details")


def _invoice_lines(
    inv: Mapping[str, Any], currency: str, paid: Decimal, number: str
) -> tuple[PaymentLine, ...]:
    """The invoice's lines at what the customer paid for each (after discounts, with taxes).

    When they do not add up to the amount paid (negative proration lines, customer balance,
    a truncated list), one line for the amount paid: the money is never misstated. Credit
    notes (Egreso) for negative lines come with the rules engine."""
    listing = inv.get("lines") or {}
    lines: list[PaymentLine] = []
    for item in listing.get("data") or []:
        gross = _line_gross(item, currency)
        if gross < 0:
            lines = []
            break
        if gross > 0:
            price = item.get("price") or {}
            details = (item.get("pricing") or {}).get("price_details") or {}
            lines.append(
                PaymentLine(
                    descripcion=str(item.get("description") or price.get("nickname") or "Suscripción"),
                    cantidad=Decimal(int(item.get("quantity") or 1)),
                    amount=gross,
                    price_id=f.obj_id(price) or f.obj_id(details.get("price")),
                    product_id=f.obj_id(price.get("product")) or f.obj_id(details.get("product")),
                )
            )
    if lines and not listing.get("has_more") and sum(line.amount for line in lines) == paid:
        return tuple(lines)
    summary = "; ".join(line.descripcion for line in lines)[:800]
    return (
        PaymentLine(
            descripcion=f"Factura {number} de Stripe" + (f": {summary}" if summary else ""),
            cantidad=Decimal(1),
            amount=paid,
        ),
    )


def _line_gross(item: Mapping[str, Any], currency: str) -> Decimal:
    minor = int(item.get("amount") or 0)
    minor -= sum(int(d.get("amount") or 0) for d in item.get("discount_amounts") or [])
    # Exclusive taxes are added on top of `amount`; inclusive ones are already in it.
    minor += sum(int(t.get("amount") or 0) for t in item.get("tax_amounts") or [] if not t.get("inclusive"))
    minor += sum(
        int(t.get("amount") or 0) for t in item.get("taxes") or [] if t.get("tax_behavior") == "exclusive"
    )
    return f.amount(minor, currency)


# --- charge.succeeded / charge.captured ------------------------------------------------------


def _from_charge(
    event: GatewayEvent, charge: Mapping[str, Any], keys: MetadataKeys, lookups: Lookups
) -> NormalizedPayment | Skip:
    if charge.get("status") != "succeeded" or not charge.get("paid"):
        return Skip("ignored", "El cargo no está pagado.")
    if charge.get("captured") is False:
        return Skip(
            "ignored",
            "Cargo autorizado sin capturar: se factura cuando Stripe lo capture (evento charge.captured).",
        )
    currency = str(charge.get("currency") or "").upper()
    paid = f.amount(charge.get("amount_captured") or charge.get("amount") or 0, currency)
    pi_id = f.obj_id(charge.get("payment_intent"))
    covered = _invoice_covering(charge, pi_id, lookups)
    if isinstance(covered, Skip):
        return covered
    money = _settlement(charge, currency, lookups, needed=not covered)
    if isinstance(money, Skip):
        return money
    forma, label, known = f.forma_pago_of_charge(charge)
    billing = charge.get("billing_details") or {}
    return NormalizedPayment(
        provider=PROVIDER,
        key=pi_id or str(charge["id"]),
        source_kind="charge",
        livemode=event.livemode,
        currency=currency,
        amount=paid,
        paid_at=f.timestamp(charge.get("created")) or _when(event),
        forma_pago=forma,
        payment_method=label,
        method_known=known,
        invoiceable=not covered,
        lines=(_one_off_line(charge, paid),),
        customer=_payer(
            charge.get("customer"),
            (charge, f.expanded(charge.get("payment_intent"))),
            keys,
            lookups,
            wanted=not covered,
            name=billing.get("name"),
            email=billing.get("email") or charge.get("receipt_email"),
            address=billing.get("address"),
        ),
        charge_id=str(charge["id"]),
        payment_intent_id=pi_id,
        gateway_invoice_id=covered or "",
        description=str(charge.get("description") or ""),
        **money,
    )


def _invoice_covering(obj: Mapping[str, Any], pi_id: str, lookups: Lookups) -> str | Skip:
    """The Stripe invoice this charge/PaymentIntent pays ("" for none), or a Skip when unknown."""
    if "invoice" in obj:  # classic shape: the field says it
        return f.obj_id(obj.get("invoice"))
    if not obj.get("customer") or not pi_id:
        return ""  # Stripe invoices always have a customer and (since 2019) a PaymentIntent
    answer = lookups.invoice_of_payment_intent(pi_id)
    if answer is None:
        return Skip(
            "waiting",
            f"Este pago ({pi_id}) puede pertenecer a una factura de Stripe y el evento no lo "
            f"indica; se espera para no facturarlo dos veces. {KEY_HELP}",
            waiting_on=pi_id,
        )
    return answer or ""


def _one_off_line(obj: Mapping[str, Any], paid: Decimal) -> PaymentLine:
    return PaymentLine(
        descripcion=str(obj.get("description") or obj.get("statement_descriptor") or "Pago en línea"),
        cantidad=Decimal(1),
        amount=paid,
    )


# --- payment_intent.succeeded ------------------------------------------------------------------


def _from_payment_intent(
    event: GatewayEvent, pi: Mapping[str, Any], keys: MetadataKeys, lookups: Lookups
) -> NormalizedPayment | Skip:
    if pi.get("status") != "succeeded":
        return Skip("ignored", "El PaymentIntent no está pagado.")
    currency = str(pi.get("currency") or "").upper()
    received = f.amount(pi.get("amount_received") or 0, currency)
    covered = _invoice_covering(pi, str(pi["id"]), lookups)
    if isinstance(covered, Skip):
        return covered
    charge = _latest_charge(pi, lookups, wanted=not covered)
    money = _settlement(charge, currency, lookups, needed=not covered)
    if isinstance(money, Skip):
        return money
    forma, label, known = _method(charge, pi.get("payment_method_types"))
    billing = (charge or {}).get("billing_details") or {}
    return NormalizedPayment(
        provider=PROVIDER,
        key=str(pi["id"]),
        source_kind="payment_intent",
        livemode=event.livemode,
        currency=currency,
        amount=received,
        paid_at=f.timestamp(pi.get("created")) or _when(event),
        forma_pago=forma,
        payment_method=label,
        method_known=known,
        invoiceable=not covered,
        lines=(_one_off_line(pi, received),),
        customer=_payer(
            pi.get("customer"),
            (pi,),
            keys,
            lookups,
            wanted=not covered,
            name=billing.get("name"),
            email=billing.get("email") or pi.get("receipt_email"),
            address=billing.get("address"),
        ),
        charge_id=f.obj_id(charge) or f.obj_id(pi.get("latest_charge")),
        payment_intent_id=str(pi["id"]),
        gateway_invoice_id=covered or "",
        description=str(pi.get("description") or ""),
        **money,
    )


def _latest_charge(pi: Mapping[str, Any], lookups: Lookups, *, wanted: bool) -> Mapping[str, Any] | None:
    if charge := f.expanded(pi.get("latest_charge")):
        return charge
    for charge in (pi.get("charges") or {}).get("data") or []:  # API versions before 2022-11-15
        if charge.get("status") == "succeeded":
            return charge
    latest = f.obj_id(pi.get("latest_charge"))
    return lookups.charge(latest) if wanted and latest else None


# --- shared -------------------------------------------------------------------------------------


def _method(charge: Mapping[str, Any] | None, types: Any) -> tuple[str, str, bool]:
    if charge:
        return f.forma_pago_of_charge(charge)
    forma, label = f.forma_pago_of_types(types)
    return forma, label, False


def _settlement(
    charge: Mapping[str, Any] | None, currency: str, lookups: Lookups, *, needed: bool = True
) -> dict[str, Any] | Skip:
    """Fee/net/exchange rate; a foreign-currency payment to invoice must have its rate."""
    bt_ref = (charge or {}).get("balance_transaction")
    bt = f.expanded(bt_ref)
    if bt is None and f.obj_id(bt_ref) and (currency != "MXN" and needed):
        bt = lookups.balance_transaction(f.obj_id(bt_ref))
    values = (
        f.settlement(bt, currency)
        if bt
        else ({"balance_transaction_id": f.obj_id(bt_ref)} if f.obj_id(bt_ref) else {})
    )
    if needed and currency != "MXN" and "exchange_rate" not in values:
        return Skip(
            "waiting",
            f"Pago en {currency}: falta el tipo de cambio (la transacción de saldo de Stripe no "
            f"venía en el evento). {KEY_HELP}",
        )
    return values


def _payer(
    ref: Any,
    sources: tuple[Mapping[str, Any] | None, ...],
    keys: MetadataKeys,
    lookups: Lookups,
    *,
    wanted: bool,
    name: Any,
    email: Any,
    address: Any,
    tax_ids: Any = None,
) -> CustomerData:
    """Fiscal data of the payer: the object's own metadata first, then its customer's."""
    cus = _customer(ref, f.metadata_chain(*sources), keys, lookups, wanted=wanted)
    metadata = f.metadata_chain(*sources, cus)
    return f.customer_data(
        customer=cus or ref,
        name=name,
        email=email,
        address=address,
        tax_ids=tax_ids,
        metadata=metadata,
        keys=keys,
    )


def _customer(
    ref: Any, metadata: Mapping[str, str], keys: MetadataKeys, lookups: Lookups, *, wanted: bool
) -> Mapping[str, Any] | None:
    """The gateway customer object: expanded in the payload, or fetched when the payment's
    own metadata lacks the régimen (the customer's metadata is where orgs keep it)."""
    if cus := f.expanded(ref):
        return cus
    if not wanted or not f.obj_id(ref) or metadata.get(keys.regimen_fiscal):
        return None
    return lookups.customer(f.obj_id(ref))


def _when(event: GatewayEvent) -> Any:
    return event.created
