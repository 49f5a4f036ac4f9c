"""Use cases of invoicing rules: create, update, delete, reorder (the only writers of rules)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from timbra.catalog.claves import require_clave_prod_serv
from timbra.domain import catalogs
from timbra.domain.invoicing_rule_checks import check_rule
from timbra.domain.invoicing_rules import Conditions, Decision, Rule
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.audit import record_change
from timbra.orgs.models import Org
from timbra.payments.rules.models import InvoicingRule, InvoicingSettings

CONDITION_FIELDS = ("product_ids", "metadata", "description_contains", "currencies", "amount_min", "amount_max",
                    "providers", "transaction_types")
DECISION_FIELDS = ("invoice", "skip_reason", "clave_prod_serv", "clave_unidad", "unidad", "description_template",
                   "price_includes_taxes", "taxes", "objeto_imp", "serie", "uso_cfdi", "send_email")
FIELDS = ("name", "enabled", *CONDITION_FIELDS, *DECISION_FIELDS)
DEFAULTS: dict[str, Any] = {
    "name": "", "enabled": True, "product_ids": [], "metadata": {}, "description_contains": "", "currencies": [],
    "amount_min": None, "amount_max": None, "providers": [], "transaction_types": [], "invoice": True,
    "skip_reason": "", "clave_prod_serv": "81112101", "clave_unidad": "E48", "unidad": "Servicio",
    "description_template": "", "price_includes_taxes": True, "taxes": ["IVA16"], "objeto_imp": "02", "serie": "",
    "uso_cfdi": "", "send_email": True,
}


def rules_of(org: Org, *, livemode: bool) -> Any:
    """The org's rules of one mode, in evaluation order."""
    return InvoicingRule.objects.filter(org=org, livemode=livemode).order_by("position", "pk")


def clean_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalized rule values (defaults filled), validated against SAT's catalogs.

    Raises InvoicingError with the first problem's stable code, Spanish message and field."""
    v = {**DEFAULTS, **{k: values[k] for k in FIELDS if k in values and values[k] is not None}}
    v["name"] = str(v["name"]).strip()[:100]
    v["product_ids"] = _texts(v["product_ids"])
    v["metadata"] = {str(k).strip(): str(val).strip() for k, val in dict(v["metadata"]).items()}
    v["currencies"] = [c.upper() for c in _texts(v["currencies"])]
    v["providers"] = [p.lower() for p in _texts(v["providers"])]
    v["transaction_types"] = _texts(v["transaction_types"])
    v["taxes"] = [t.upper() for t in _texts(v["taxes"])]
    for name in ("amount_min", "amount_max"):
        v[name] = _amount(v[name], name)
    for name in ("description_contains", "skip_reason", "description_template", "unidad"):
        v[name] = str(v[name]).strip()
    for name in ("clave_prod_serv", "clave_unidad", "objeto_imp", "serie", "uso_cfdi"):
        v[name] = str(v[name]).strip().upper()
    name, conditions, decision = _domain_parts(v)
    problems = check_rule(name, conditions, decision)
    if problems:
        raise InvoicingError(problems[0].code, problems[0].message, field=problems[0].field)
    if decision.invoice:  # the full catalog, not just the format (issue 11)
        require_clave_prod_serv(decision.clave_prod_serv, field="decision.clave_prod_serv")
    return v


def _texts(values: Any) -> list[str]:
    if isinstance(values, str):
        values = values.split(",")
    return [str(x).strip() for x in values or [] if str(x).strip()]


def _amount(value: Any, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvoicingError("amount_range_invalid", "El importe debe ser un número, por ejemplo 1500.00.",
                             field=f"conditions.{name}") from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvoicingError("amount_range_invalid", "El importe admite como máximo 2 decimales.",
                             field=f"conditions.{name}")
    return amount


def _domain_parts(v: Mapping[str, Any]) -> tuple[str, Conditions, Decision]:
    conditions = Conditions(
        product_ids=tuple(v["product_ids"]),
        metadata=tuple(sorted(v["metadata"].items())),
        description_contains=v["description_contains"],
        currencies=tuple(v["currencies"]),
        amount_min=v["amount_min"],
        amount_max=v["amount_max"],
        providers=tuple(v["providers"]),
        transaction_types=tuple(v["transaction_types"]),
    )
    decision = Decision(**{k: (tuple(v[k]) if k == "taxes" else v[k]) for k in DECISION_FIELDS})
    return v["name"], conditions, decision


def to_rule(row: InvoicingRule) -> Rule:
    """The engine's view of a stored rule."""
    values = {name: getattr(row, name) for name in FIELDS}
    name, conditions, decision = _domain_parts(values)
    return Rule(id=row.pk, name=name, conditions=conditions, decision=decision, enabled=row.enabled)


def draft_rule(values: Mapping[str, Any], *, rule_id: int | None = None) -> Rule:
    """An unsaved rule (the preview's draft), validated like a saved one."""
    v = clean_values(values)
    name, conditions, decision = _domain_parts(v)
    return Rule(id=rule_id, name=name, conditions=conditions, decision=decision, enabled=v["enabled"])


_NOT_AUDITED = ("id", "org_id", "livemode", "position", "created_at", "updated_at")


def _audited(rule: InvoicingRule | None) -> dict[str, Any]:
    if rule is None:
        return {}
    return {f.attname: getattr(rule, f.attname) for f in rule._meta.concrete_fields if f.attname not in _NOT_AUDITED}


def _audit(org: Org, kind: str, message: str, rule_id: int, before: InvoicingRule | dict[str, Any] | None,
           after: InvoicingRule | None, *, actor: str, source: str, as_of: datetime) -> None:
    record_change(org, kind, message, object_type="rule", object_id=rule_id,
                  before=before if isinstance(before, dict) else _audited(before), after=_audited(after),
                  actor=actor, source=source, as_of=as_of)


def create_rule(org: Org, values: Mapping[str, Any], *, livemode: bool, as_of: datetime,
                actor: str = "sistema", source: str = "job") -> InvoicingRule:
    """Add a rule at the end of the list (or at `position`, 1-based, shifting the rest down)."""
    v = clean_values(values)
    wanted = values.get("position")
    with transaction.atomic():
        rows = rules_of(org, livemode=livemode)
        last = rows.aggregate(last=Max("position"))["last"] or 0
        rule = InvoicingRule.objects.create(org=org, livemode=livemode, position=last + 1, created_at=as_of,
                                            updated_at=as_of, **v)
        if wanted:
            ids = [pk for pk in rows.values_list("pk", flat=True) if pk != rule.pk]
            ids.insert(max(int(wanted), 1) - 1, rule.pk)
            _renumber(ids, as_of=as_of)
            rule.refresh_from_db()
        _audit(org, "rule_created", f"Regla creada: {rule.name}.", rule.pk, None, rule, actor=actor, source=source,
               as_of=as_of)
    return rule


def update_rule(rule: InvoicingRule, values: Mapping[str, Any], *, as_of: datetime,
                actor: str = "sistema", source: str = "job") -> InvoicingRule:
    """Replace the rule's conditions and decision (fields not given take their defaults on PUT)."""
    v = clean_values(values)
    before = _audited(rule)
    with transaction.atomic():
        InvoicingRule.objects.filter(pk=rule.pk).update(**v, updated_at=as_of)
        rule.refresh_from_db()
        _audit(rule.org, "rule_changed", f"Regla cambiada: {rule.name}.", rule.pk, before, rule, actor=actor,
               source=source, as_of=as_of)
    return rule


def delete_rule(rule: InvoicingRule, *, as_of: datetime, actor: str = "sistema", source: str = "job") -> None:
    with transaction.atomic():
        _audit(rule.org, "rule_deleted", f"Regla eliminada: {rule.name}.", rule.pk, rule, None, actor=actor,
               source=source, as_of=as_of)
        rule.delete()
        _renumber(list(rules_of(rule.org, livemode=rule.livemode).values_list("pk", flat=True)), as_of=as_of)


def reorder_rules(org: Org, ids: Sequence[int], *, livemode: bool, as_of: datetime) -> list[InvoicingRule]:
    """Set the order to `ids`, which must name every rule of the org and mode exactly once."""
    with transaction.atomic():
        current = set(rules_of(org, livemode=livemode).values_list("pk", flat=True))
        if len(ids) != len(set(ids)) or set(ids) != current:
            raise InvoicingError("rule_order_invalid", "El nuevo orden debe incluir cada regla exactamente una vez.",
                                 field="ids")
        _renumber(list(ids), as_of=as_of)
    return list(rules_of(org, livemode=livemode))


def move_rule(rule: InvoicingRule, step: int, *, as_of: datetime) -> None:
    """Move a rule up (step -1) or down (+1) one place; at either end it stays."""
    with transaction.atomic():
        ids = list(rules_of(rule.org, livemode=rule.livemode).values_list("pk", flat=True))
        at = ids.index(rule.pk)
        to = min(max(at + step, 0), len(ids) - 1)
        ids.insert(to, ids.pop(at))
        _renumber(ids, as_of=as_of)


def _renumber(ids: list[int], *, as_of: datetime) -> None:
    for position, pk in enumerate(ids, start=1):
        InvoicingRule.objects.filter(pk=pk).exclude(position=position).update(position=position, updated_at=as_of)


def set_rate_source(org: Org, source: str, manual_rates: Mapping[str, Any], *, as_of: datetime) -> None:
    """Where TipoCambio comes from when the gateway gives none (one settings row per org)."""
    if source not in dict(InvoicingSettings.RATE_SOURCES):
        raise InvoicingError("rate_source_invalid", "Fuente de tipo de cambio desconocida.", field="exchange_rate_source")
    rates: dict[str, str] = {}
    for currency, value in manual_rates.items():
        code = str(currency).strip().upper()
        if code == "MXN" or catalogs.moneda(code) is None:
            raise InvoicingError("currency_invalid", f"«{code}» no es una moneda extranjera del catálogo c_Moneda.",
                                 field="manual_rates")
        try:
            rate = Decimal(str(value).strip())
        except InvalidOperation:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0 or rate.as_tuple().exponent < -6:  # type: ignore[operator]
            raise InvoicingError("rate_invalid", f"El tipo de cambio de {code} debe ser un número mayor que cero "
                                 "con hasta 6 decimales.", field="manual_rates")
        rates[code] = f"{rate:f}"
    InvoicingSettings.objects.update_or_create(
        org=org, defaults={"exchange_rate_source": source, "manual_rates": rates, "updated_at": as_of})
