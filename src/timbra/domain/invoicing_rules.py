"""Invoicing rules: which CFDI a gateway payment becomes (issue 3, "invoicing rules").

Pure: payment facts + the org's ordered rules → the decision, the rule that matched and a
Spanish explanation of why (the preview shows it). Rules are tried in order and the first
enabled rule whose conditions all hold wins; a rule without conditions matches everything.
When none matches, the caller's default decision applies (the connection's defaults).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

# What a payment is, as a rule can ask: a gateway's subscription invoice or a one-off charge.
TRANSACTION_TYPES: dict[str, str] = {
    "subscription": "Factura de suscripción",
    "one_off": "Cobro único",
}
PROVIDERS: dict[str, str] = {
    "stripe": "Stripe",
    "conekta": "Conekta",
    "mercadopago": "Mercado Pago",
    "api": "API o CSV",
}
# The only names a description template may use: plain substitution, never eval or format().
PLACEHOLDERS: dict[str, str] = {
    "descripcion": "Descripción de la partida tal como se cobró",
    "producto": "Id del producto en la pasarela",
    "precio": "Id del precio en la pasarela",
    "periodo": "Mes y año del pago (p. ej. «noviembre 2026»)",
    "cliente": "Nombre del cliente según la pasarela",
    "referencia": "Id del pago en la pasarela",
}
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class FactLine:
    """One line as charged (`amount` is what the customer paid for it)."""

    descripcion: str
    cantidad: Decimal
    amount: Decimal
    price_id: str = ""
    product_id: str = ""


@dataclass(frozen=True)
class PaymentFacts:
    """What a rule can look at. `metadata` merges the payment's and its customer's."""

    provider: str
    transaction_type: str
    currency: str
    amount: Decimal
    description: str = ""
    lines: tuple[FactLine, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)
    customer_name: str = ""
    periodo: str = ""
    reference: str = ""


@dataclass(frozen=True)
class Conditions:
    """All optional and ANDed; an empty tuple or None means "any"."""

    product_ids: tuple[str, ...] = ()  # gateway product or price ids, any line
    metadata: tuple[tuple[str, str], ...] = ()  # every key must have exactly this value
    description_contains: str = ""  # case-insensitive, in the payment's or any line's description
    currencies: tuple[str, ...] = ()
    amount_min: Decimal | None = None  # inclusive, in the payment's currency
    amount_max: Decimal | None = None  # inclusive
    providers: tuple[str, ...] = ()
    transaction_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """How matching payments are invoiced (or why they are not)."""

    invoice: bool = True
    skip_reason: str = ""  # Spanish; shown on the payment when `invoice` is false
    clave_prod_serv: str = "81112101"
    clave_unidad: str = "E48"
    unidad: str = "Servicio"
    description_template: str = ""  # "" keeps the line's description
    price_includes_taxes: bool = True
    taxes: tuple[str, ...] = ("IVA16",)
    objeto_imp: str = "02"
    serie: str = ""  # "" = the org's default serie
    uso_cfdi: str = ""  # "" = the customer's
    send_email: bool = True


@dataclass(frozen=True)
class Rule:
    id: int | None
    name: str
    conditions: Conditions
    decision: Decision
    enabled: bool = True


@dataclass(frozen=True)
class RuleOutcome:
    """The decision taken, the rule that gave it (None: the default) and why, in Spanish."""

    decision: Decision
    rule: Rule | None
    explanation: tuple[str, ...]


def evaluate(facts: PaymentFacts, rules: tuple[Rule, ...] | list[Rule], default: Decision) -> RuleOutcome:
    """The first enabled rule whose conditions all hold, else `default`."""
    notes: list[str] = []
    for rule in rules:
        if not rule.enabled:
            notes.append(f"«{rule.name}»: desactivada.")
            continue
        reason = mismatch(rule.conditions, facts)
        if reason is None:
            notes.append(f"«{rule.name}»: {matched_because(rule.conditions)}")
            return RuleOutcome(rule.decision, rule, tuple(notes))
        notes.append(f"«{rule.name}»: no aplica, {reason}.")
    notes.append("Ninguna regla aplica: se usan los valores predeterminados de la conexión.")
    return RuleOutcome(default, None, tuple(notes))


def mismatch(c: Conditions, facts: PaymentFacts) -> str | None:
    """Why the conditions do not hold (the first that fails), or None when they all do."""
    if c.product_ids and not _has_product(c.product_ids, facts):
        return "ninguna partida es de los productos o precios " + ", ".join(c.product_ids)
    for key, value in c.metadata:
        if facts.metadata.get(key) != value:
            found = facts.metadata.get(key)
            return f"el metadato «{key}» es «{found}», no «{value}»" if found else f"no hay metadato «{key}»"
    if c.description_contains and not _describes(c.description_contains, facts):
        return f"la descripción no contiene «{c.description_contains}»"
    if c.currencies and facts.currency.upper() not in c.currencies:
        return f"la moneda es {facts.currency}, no {', '.join(c.currencies)}"
    if c.amount_min is not None and facts.amount < c.amount_min:
        return f"el importe {facts.amount} es menor que {c.amount_min}"
    if c.amount_max is not None and facts.amount > c.amount_max:
        return f"el importe {facts.amount} es mayor que {c.amount_max}"
    if c.providers and facts.provider not in c.providers:
        return f"la pasarela es {PROVIDERS.get(facts.provider, facts.provider)}"
    if c.transaction_types and facts.transaction_type not in c.transaction_types:
        kind = TRANSACTION_TYPES.get(facts.transaction_type, facts.transaction_type)
        return f"el tipo de transacción es «{kind}»"
    return None


def matched_because(c: Conditions) -> str:
    """A Spanish sentence naming what made the rule apply."""
    parts = []
    if c.product_ids:
        parts.append("producto o precio " + ", ".join(c.product_ids))
    parts += [f"metadato {key}={value}" for key, value in c.metadata]
    if c.description_contains:
        parts.append(f"descripción con «{c.description_contains}»")
    if c.currencies:
        parts.append("moneda " + ", ".join(c.currencies))
    if c.amount_min is not None or c.amount_max is not None:
        parts.append(f"importe entre {c.amount_min or 0} y {c.amount_max if c.amount_max is not None else '∞'}")
    if c.providers:
        parts.append("pasarela " + ", ".join(PROVIDERS.get(p, p) for p in c.providers))
    if c.transaction_types:
        parts.append("tipo " + ", ".join(TRANSACTION_TYPES.get(t, t) for t in c.transaction_types))
    if not parts:
        return "aplica (no tiene condiciones: aplica a todos los pagos)."
    return "aplica por " + "; ".join(parts) + "."


def _has_product(ids: tuple[str, ...], facts: PaymentFacts) -> bool:
    return any(line.product_id in ids or line.price_id in ids for line in facts.lines if line.product_id or line.price_id)


def _describes(needle: str, facts: PaymentFacts) -> bool:
    wanted = needle.casefold()
    texts = [facts.description, *(line.descripcion for line in facts.lines)]
    return any(wanted in text.casefold() for text in texts)


def render_description(template: str, facts: PaymentFacts, line: FactLine) -> str:
    """The CFDI concepto's description: `template` with its placeholders filled, or the line's own.

    Plain substitution of known names (validated on save), so a template can never run code
    or reach attributes the way str.format could."""
    if not template.strip():
        return line.descripcion[:1000]
    values = {
        "descripcion": line.descripcion,
        "producto": line.product_id,
        "precio": line.price_id,
        "periodo": facts.periodo,
        "cliente": facts.customer_name,
        "referencia": facts.reference,
    }
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), ""), template)
    text = " ".join(text.split())
    return (text or line.descripcion)[:1000]


def unknown_placeholders(template: str) -> list[str]:
    """Placeholder names a template uses that `render_description` does not know."""
    return [name for name in PLACEHOLDER.findall(template) if name.strip() not in PLACEHOLDERS]
