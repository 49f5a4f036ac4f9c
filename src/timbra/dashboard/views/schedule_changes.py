"""Changing what exists: edit a plan (every member's next invoice follows its new lines) and change a
schedule's lines, or its prices over its plan, from the next cycle on.

Thin like schedules.py: the services (schedules.services.plans.update_plan,
change_lines.change_lines_from_next_cycle) validate, apply from the next cycle and write the
schedule history; their Spanish InvoicingError is shown on the form. Another org's id is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import LineFormSet, attach_error
from timbra.dashboard.schedule_change_forms import OverridesForm, PlanEditForm, line_initial, lines_changed
from timbra.dashboard.views.schedules import _attach_lines_error, _filled, _products, schedule_or_404
from timbra.invoicing.errors import InvoicingError
from timbra.schedules import selectors
from timbra.schedules.models import Plan, Schedule
from timbra.schedules.services.change_lines import change_lines_from_next_cycle
from timbra.schedules.services.plans import update_plan


def _plan_or_404(tenant: Tenant, plan_id: int) -> Plan:
    return or_404(selectors.get_plan(tenant.org, plan_id, livemode=tenant.livemode), "No se encontró el plan.")


@org_view
def plan_edit(request: HttpRequest, tenant: Tenant, plan_id: int) -> HttpResponse:
    """Name, lines and prices, frequency, payment terms and notice policy of a plan."""
    plan = _plan_or_404(tenant, plan_id)
    data = request.POST if request.method == "POST" else None
    form = PlanEditForm(data, initial=PlanEditForm.initial_for(plan))
    lines = LineFormSet(data, prefix="lines", initial=[line_initial(line) for line in plan.lines],
                        form_kwargs={"products": _products(tenant)})  # fmt: skip
    members = plan.schedules.filter(status__in=selectors.LIVE_STATUSES).count()
    if data is not None and form.is_valid() and lines.is_valid():
        positions, filled = _filled(lines)
        changes = form.changes(filled if lines_changed(lines) else None)
        if not form.errors:  # frequency_code() may add one
            try:
                update_plan(plan, changes, as_of=timezone.now(), actor=tenant.actor, source="dashboard")
            except InvoicingError as exc:
                _attach_lines_error(form, lines, positions, exc)
            else:
                follow = f"; la próxima factura de sus {members} suscripciones las usa" if "lines" in changes else ""
                messages.success(request, f"Plan «{form.cleaned_data['name']}» actualizado{follow}.")
                return redirect("dashboard:plan_list")
    return render_page(request, tenant, "dashboard/schedules/plan_form.html", {
        "plan": plan, "form": form, "lines": lines, "members": members, "nav": "schedules", "tab": "plans",
    })  # fmt: skip


def _current_version(schedule: Schedule) -> dict[str, Any]:
    """The latest line version (a pending change included): what the next change replaces."""
    return schedule.line_versions[-1] if schedule.line_versions else {"lines": None, "overrides": []}


@org_view
def schedule_lines(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    """Change a schedule's lines (own lines) or its special prices over its plan, from the next cycle."""
    schedule = schedule_or_404(tenant, schedule_id)
    version = _current_version(schedule)
    on_plan = schedule.plan is not None and version.get("lines") is None
    data = request.POST if request.method == "POST" else None
    context: dict[str, Any] = {"schedule": schedule, "on_plan": on_plan, "nav": "schedules", "tab": "schedules"}
    if on_plan:
        assert schedule.plan is not None
        form: Any = OverridesForm(data, plan_lines=schedule.plan.lines, current=version.get("overrides") or [])
        context["form"] = form
        if data is not None and form.is_valid():
            try:
                change_lines_from_next_cycle(schedule, overrides=form.to_overrides(), actor=tenant.actor,
                                             as_of=timezone.now())  # fmt: skip
            except InvoicingError as exc:
                attach_error(form, exc)
            else:
                return _changed(request, schedule)
    else:
        lines = LineFormSet(data, prefix="lines", initial=[line_initial(line) for line in version.get("lines") or []],
                            form_kwargs={"products": _products(tenant)})  # fmt: skip
        errors = forms.Form({})  # carries a service error that names no line
        errors.is_valid()
        context |= {"lines": lines, "form": errors}
        if data is not None and lines.is_valid():
            positions, filled = _filled(lines)
            try:
                change_lines_from_next_cycle(schedule, lines=tuple(filled), actor=tenant.actor, as_of=timezone.now())
            except InvoicingError as exc:
                _attach_lines_error(errors, lines, positions, exc)  # type: ignore[arg-type]
            else:
                return _changed(request, schedule)
    return render_page(request, tenant, "dashboard/schedules/lines_form.html", context)


def _changed(request: HttpRequest, schedule: Schedule) -> HttpResponse:
    messages.success(request, "Partidas cambiadas: aplican desde la próxima factura (queda en el historial).")
    return redirect("dashboard:schedule_detail", schedule_id=schedule.pk)
