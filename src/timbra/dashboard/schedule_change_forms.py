"""Forms that change what exists: edit a plan, change a schedule's lines or its prices over a plan.

They prefill from the stored JSON (schedules.lines) and hand the services their inputs; the
services decide what "from the next cycle on" means and write the history.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from timbra.dashboard.forms import DECIMAL, EVERY_N, PlanForm
from timbra.invoicing.inputs import LineInput
from timbra.schedules.lines import LineOverride
from timbra.schedules.models import Plan


def line_initial(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored template line (schedules.lines.line_to_json) as LineForm initial data."""
    return {
        "product": stored.get("product_id"), "descripcion": stored.get("descripcion") or "",
        "clave_prod_serv": stored.get("clave_prod_serv") or "", "clave_unidad": stored.get("clave_unidad") or "",
        "cantidad": _decimal(stored.get("cantidad")) or Decimal(1), "unit_price": _decimal(stored.get("unit_price")),
        "price_includes_taxes": bool(stored.get("price_includes_taxes")), "taxes": stored.get("taxes") or [],
    }  # fmt: skip


def _decimal(value: object) -> Decimal | None:
    # Decimal, not the stored string: a form compares initial and posted values with `!=`.
    return None if value in (None, "") else Decimal(str(value))


def lines_changed(lines: forms.BaseFormSet) -> bool:
    """Whether the person changed a prefilled row or filled an empty one (an untouched empty row
    still posts its default quantity, so `has_changed` alone would say yes)."""
    return any(f.has_changed() for f in lines.initial_forms) or any(f.to_input() is not None
                                                                     for f in lines.extra_forms)


def frequency_initial(code: str) -> dict[str, Any]:
    name, _, count = code.partition(":")
    return {"frequency": name, "every_n": int(count)} if name in EVERY_N and count.isdigit() else {"frequency": code}


class PlanEditForm(PlanForm):
    active = forms.BooleanField(label="Activo (se ofrece al crear suscripciones)", required=False)
    field_order = [*PlanForm.field_order, "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["frequency"].help_text = ("Para suscripciones nuevas: las existentes conservan sus fechas "
                                              "(nunca se mueven porque alguien editó el plan).")  # fmt: skip
        self.fields["notice_days"].help_text += " Para suscripciones nuevas."

    @staticmethod
    def initial_for(plan: Plan) -> dict[str, Any]:
        return {"name": plan.name, **frequency_initial(plan.frequency), "payment": "PUE" if plan.prepaid else "PPD",
                "forma_pago": plan.forma_pago if plan.prepaid else "03", "notice_days": plan.notice_days,
                "active": plan.active}  # fmt: skip

    def changes(self, lines: list[LineInput] | None) -> dict[str, Any]:
        """What `update_plan` takes; `lines` None when the rows were not touched (no new version)."""
        prepaid, forma_pago = self.payment_terms()
        data = self.cleaned_data
        changes = {"name": data["name"], "notice_days": data["notice_days"], "prepaid": bool(prepaid),
                   "active": data["active"], "frequency": self.frequency_code() or "monthly"}  # fmt: skip
        if prepaid:
            changes["forma_pago"] = forma_pago
        return changes | ({"lines": tuple(lines)} if lines is not None else {})


class OverridesForm(forms.Form):
    """A customer's own price and quantity for each line of its plan (empty: the plan's)."""

    def __init__(self, *args: Any, plan_lines: list[dict[str, Any]], current: list[dict[str, Any]],
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        now = {o["position"]: o for o in current}
        self.rows = []
        for position, line in enumerate(plan_lines, start=1):
            mine = now.get(position, {})
            price = forms.DecimalField(label="Precio unitario especial", required=False, min_value=Decimal(0),
                                       initial=mine.get("unit_price"), **DECIMAL)  # fmt: skip
            qty = forms.DecimalField(label="Cantidad especial", required=False, initial=mine.get("cantidad"),
                                     **DECIMAL)  # fmt: skip
            self.fields[f"price_{position}"], self.fields[f"cantidad_{position}"] = price, qty
            self.rows.append((position, line, self[f"price_{position}"], self[f"cantidad_{position}"]))

    def to_overrides(self) -> tuple[LineOverride, ...]:
        data = self.cleaned_data
        return tuple(
            LineOverride(position, data.get(f"price_{position}"), data.get(f"cantidad_{position}"))
            for position, *_ in self.rows
            if data.get(f"price_{position}") is not None or data.get(f"cantidad_{position}") is not None
        )
