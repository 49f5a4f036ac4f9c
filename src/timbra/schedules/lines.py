"""What a schedule invoices in one cycle: its lines (own or its plan's, with overrides) and the request.

Lines are `invoicing.inputs.LineInput`s stored as JSON (decimals as text). `descripcion` is a
template ({periodo}, {mes}, {año}, {inicio}, {fin}: periods.render_description). Both the
issuer and the preview build the invoice through `invoice_request`, so what a preview shows
is what gets issued.

Versions:
- a plan's lines by instant (`Plan.versions`): the cycle takes the version in force when it is
  DUE, so a price change reaches each member's next invoice, never one already due (even if a
  downtime delays issuing it);
- a schedule's own lines or overrides by cycle index (`Schedule.line_versions`), like the
  engine's rule versions ("from the next cycle on").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from timbra.catalog.models import Product
from timbra.domain import tax_presets
from timbra.domain.periods import Period, ScheduleError, check_description_template, render_description
from timbra.domain.schedule_dates import Occurrence
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.orgs.models import Org
from timbra.schedules.models import SOURCE, Plan, Schedule

_DECIMALS = ("cantidad", "unit_price", "descuento")
_EXPLICIT_REQUIRED = ("descripcion", "unit_price", "clave_prod_serv", "clave_unidad", "taxes")
MAX_LINES = 100


@dataclass(frozen=True)
class LineOverride:
    """A customer's own price or quantity for line `position` (1-based) of its plan."""

    position: int
    unit_price: Decimal | None = None
    cantidad: Decimal | None = None


def line_to_json(line: LineInput) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in fields(LineInput):
        value = getattr(line, f.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return data


def line_from_json(data: dict[str, Any]) -> LineInput:
    values = dict(data)
    for name in _DECIMALS:
        if values.get(name) is not None:
            values[name] = Decimal(values[name])
    if values.get("taxes") is not None:
        values["taxes"] = tuple(values["taxes"])
    return LineInput(**{f.name: values[f.name] for f in fields(LineInput) if f.name in values})


def prepare_lines(org: Org, lines: Sequence[LineInput], *, livemode: bool) -> list[dict[str, Any]]:
    """Validate template lines and return them as stored. A product line without a description
    gets "<product description> ({periodo})", so every invoice names the period it bills."""
    if not lines:
        raise InvoicingError("lines_required", "Indica al menos una partida.", field="lines")
    if len(lines) > MAX_LINES:
        raise InvoicingError("too_many_lines", f"Admite hasta {MAX_LINES} partidas.", field="lines")
    products = _products(org, [line.product_id for line in lines if line.product_id], livemode=livemode)
    return [line_to_json(_prepare_line(line, i, products)) for i, line in enumerate(lines)]


def _products(org: Org, ids: list[int], *, livemode: bool) -> dict[int, Product]:
    found = {p.pk: p for p in Product.objects.filter(org=org, livemode=livemode, pk__in=ids)}
    for i in ids:
        if i not in found:
            raise NotFound("producto")
    return found


def _prepare_line(line: LineInput, index: int, products: dict[int, Product]) -> LineInput:
    field = f"lines[{index}]"
    product = products.get(line.product_id) if line.product_id else None
    if product is None:
        for name in _EXPLICIT_REQUIRED:
            if getattr(line, name) in (None, ""):
                raise InvoicingError("line_field_required", f"Falta «{name}» en la partida {index + 1} "
                                     "(o indica un product_id).", field=f"{field}.{name}")
    descripcion = line.descripcion
    if not descripcion and product is not None:
        escaped = product.descripcion.replace("{", "{{").replace("}", "}}")
        descripcion = f"{escaped} ({{periodo}})"
    try:
        check_description_template(descripcion or "")
    except ScheduleError as exc:
        raise InvoicingError(exc.code, exc.message, field=f"{field}.descripcion") from exc
    if line.cantidad <= 0:
        raise InvoicingError("cantidad_invalid", f"La cantidad de la partida {index + 1} debe ser mayor que cero.",
                             field=f"{field}.cantidad")
    if line.taxes is not None:
        try:
            tax_presets.resolve(line.taxes)
        except ValueError as exc:
            raise InvoicingError("tax_invalid", str(exc), field=f"{field}.taxes") from exc
    return replace(line, descripcion=descripcion)


def override_to_json(override: LineOverride) -> dict[str, Any]:
    return {
        "position": override.position,
        "unit_price": None if override.unit_price is None else str(override.unit_price),
        "cantidad": None if override.cantidad is None else str(override.cantidad),
    }


def prepare_overrides(overrides: Iterable[LineOverride], plan_lines: int) -> list[dict[str, Any]]:
    """Validate overrides against a plan with `plan_lines` lines and return them as stored."""
    seen: set[int] = set()
    stored = []
    for i, override in enumerate(overrides):
        field = f"overrides[{i}]"
        if not 1 <= override.position <= plan_lines or override.position in seen:
            raise InvoicingError("override_position_invalid", f"La partida {override.position} no existe en el "
                                 f"plan (tiene {plan_lines}) o está repetida.", field=f"{field}.position")
        if override.unit_price is None and override.cantidad is None:
            raise InvoicingError("override_empty", "Indica el precio o la cantidad que cambia.", field=field)
        if (override.unit_price is not None and override.unit_price < 0) or (
            override.cantidad is not None and override.cantidad <= 0
        ):
            raise InvoicingError("override_invalid", "El precio no puede ser negativo y la cantidad debe ser "
                                 "mayor que cero.", field=field)
        seen.add(override.position)
        stored.append(override_to_json(override))
    return stored


def version_for(versions: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """The line version governing cycle `index` (versions are sorted by "from", the first is 0)."""
    chosen = versions[0]
    for version in versions:
        if version["from"] <= index:
            chosen = version
    return chosen


def plan_lines_at(plan: Plan, instant: datetime) -> list[dict[str, Any]]:
    """The plan's lines in force at `instant` (the first version for cycles due before the plan)."""
    chosen = plan.versions[0]
    for version in plan.versions:
        if datetime.fromisoformat(version["at"]) <= instant:
            chosen = version
    return list(chosen["lines"])


def apply_overrides(lines: list[dict[str, Any]], overrides: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = [dict(line) for line in lines]
    for override in overrides:
        position = override["position"]
        if position > len(result):
            continue  # update_plan refuses to drop a line a member overrides; this is defensive
        for name in ("unit_price", "cantidad"):
            if override.get(name) is not None:
                result[position - 1][name] = override[name]
    return result


def lines_for(schedule: Schedule, occurrence: Occurrence) -> list[dict[str, Any]]:
    """The stored lines (templates) cycle `occurrence` invoices."""
    version = version_for(schedule.line_versions, occurrence.index)
    if version.get("lines") is not None:
        return list(version["lines"])
    if schedule.plan is None:
        raise InvoicingError("lines_required", "La programación no tiene partidas ni plan.")
    return apply_overrides(plan_lines_at(schedule.plan, occurrence.due_at), version.get("overrides") or [])


def render_line(stored: dict[str, Any], period: Period) -> LineInput:
    line = line_from_json(stored)
    descripcion = render_description(line.descripcion, period)[:1000] if line.descripcion else None
    return replace(line, descripcion=descripcion)


def source_id(schedule: Schedule, period: Period) -> str:
    """The invoice's unique business key within the org: one invoice per schedule and period."""
    return f"{schedule.pk}:{period.key}"


def invoice_request(schedule: Schedule, occurrence: Occurrence) -> InvoiceInput:
    """The invoice of one cycle: PPD with forma de pago 99 while payment is due (the usual case:
    invoice, then payment; Anexo 20: PPD always carries 99), or PUE with its forma de pago when
    the schedule is pre-paid."""
    try:
        lines = tuple(render_line(line, occurrence.period) for line in lines_for(schedule, occurrence))
    except (ScheduleError, InvalidOperation) as exc:
        raise InvoicingError("line_invalid", f"Una partida de la programación no es válida: {exc}") from exc
    return InvoiceInput(
        customer_id=schedule.customer_id,
        lines=lines,
        metodo_pago="PUE" if schedule.prepaid else "PPD",
        forma_pago=schedule.forma_pago if schedule.prepaid else None,
        moneda=schedule.moneda,
        tipo_cambio=schedule.tipo_cambio,
        serie=schedule.serie or None,
        uso_cfdi=schedule.uso_cfdi or None,
        send_email=schedule.send_email,
        source=SOURCE,
        source_id=source_id(schedule, occurrence.period),
    )
