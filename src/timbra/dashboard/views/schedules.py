"""Suscripciones (schedules), planes, próximas facturas and MRR; schedule actions as CSRF POSTs.

Views stay thin: reads through schedules.selectors, writes through schedules.services, whose
InvoicingError (Spanish) is shown to the person. The org comes from the session (org_view);
another org's schedule id is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.catalog.models import Product
from timbra.customers.models import Customer
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import LineForm, LineFormSet, PlanForm, ScheduleForm, attach_error
from timbra.domain.periods import Frequency
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import LineInput
from timbra.receivables.selectors import DueRep, reps_due
from timbra.schedules import selectors
from timbra.schedules.calendar import remaining_cycles
from timbra.schedules.inputs import ScheduleInput
from timbra.schedules.models import Schedule
from timbra.schedules.preview import Estimator, PreviewInvoice
from timbra.schedules.services.cancel import cancel_at_period_end
from timbra.schedules.services.create_schedule import activate, create_schedule
from timbra.schedules.services.pause import pause, resume
from timbra.schedules.services.plans import create_plan
from timbra.schedules.services.skip import skip_next
from timbra.schedules.simulation import totals

PAGE_SIZE = 25
UPCOMING_DAYS = 30
_LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")
# Schedule status → an existing badge colour of the stylesheet.
BADGES = {Schedule.DRAFT: "draft", Schedule.ACTIVE: "delivered", Schedule.PAUSED: "held",
          Schedule.CANCELLED: "cancelled", Schedule.ENDED: "sealed"}


@dataclass(frozen=True)
class ScheduleRow:
    schedule: Schedule
    next: PreviewInvoice | None
    badge: str
    frequency: str


def _row(schedule: Schedule, estimator: Estimator) -> ScheduleRow:
    return ScheduleRow(schedule, selectors.next_invoice(schedule, as_of=estimator.as_of, estimator=estimator),
                       BADGES.get(schedule.status, "draft"), Frequency.parse(schedule.frequency).label)


def schedule_or_404(tenant: Tenant, schedule_id: int) -> Schedule:
    """The org's schedule in the current mode; another org's id is a 404."""
    return or_404(selectors.get_schedule(tenant.org, schedule_id, livemode=tenant.livemode), "No se encontró la suscripción.")


@org_view
def schedule_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Suscripciones: each with its next date and amount and its status; MRR on top."""
    now = timezone.now()
    rows = selectors.schedules_for(tenant.org, livemode=tenant.livemode)
    status = request.GET.get("estado", "")
    if status in Schedule.STATUS_LABELS:
        rows = rows.filter(status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    estimator = Estimator(as_of=now)
    return render_page(request, tenant, "dashboard/schedules/list.html", {
        "page": page, "rows": [_row(s, estimator) for s in page.object_list], "status": status,
        "statuses": Schedule.STATUS_LABELS, "mrr": selectors.mrr(tenant.org, livemode=tenant.livemode, as_of=now),
        "nav": "schedules", "tab": "schedules",
    })


@org_view
def schedule_detail(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    """One schedule: terms, next invoice with its lines, issued invoices, history, actions."""
    schedule = schedule_or_404(tenant, schedule_id)
    row = _row(schedule, Estimator(as_of=timezone.now()))
    return render_page(request, tenant, "dashboard/schedules/detail.html", {
        "row": row, "schedule": schedule, "next": row.next, "runs": selectors.runs(schedule),
        "changes": selectors.history(schedule), "remaining": remaining_cycles(schedule),
        "nav": "schedules", "tab": "schedules",
    })


def _attach_lines_error(form: ScheduleForm | PlanForm, lines: LineFormSet, positions: list[int],
                        exc: InvoicingError) -> None:
    """A service error on `lines[i].x` goes on the i-th filled row, the rest on the form."""
    match = _LINE_FIELD.match(exc.field)
    if match is None or int(match.group(1)) >= len(positions):
        attach_error(form, exc)
        return
    line_form = lines.forms[positions[int(match.group(1))]]
    name = match.group(2)
    line_form.add_error(name if name in line_form.fields else None, exc.message)


def _filled(lines: LineFormSet) -> tuple[list[int], list[LineInput]]:
    line_forms: list[LineForm] = list(lines.forms)
    filled = [(i, f.to_input()) for i, f in enumerate(line_forms)]
    return [i for i, line in filled if line is not None], [line for _, line in filled if line is not None]


def _products(tenant: Tenant) -> QuerySet[Product]:
    return Product.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("descripcion")


@org_view
def schedule_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """New subscription: customer, plan or own lines, frequency, dates, end, payment, notice."""
    customers = Customer.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("nombre")
    plans = selectors.plans_for(tenant.org, livemode=tenant.livemode).filter(active=True)
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data, customers=customers, plans=plans)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"products": _products(tenant)})
    if data is not None and form.is_valid() and lines.is_valid():
        positions, filled = _filled(lines)
        request_input = form.to_input(filled)
        if not form.errors:  # frequency_code() may add one
            try:
                schedule = _create(tenant, request_input, activate_it=form.cleaned_data["activate"])
            except InvoicingError as exc:
                _attach_lines_error(form, lines, positions, exc)
            else:
                messages.success(request, f"Suscripción «{schedule.display_name}» creada"
                                          f"{' y activada' if schedule.status == Schedule.ACTIVE else ' (borrador)'}.")
                return redirect("dashboard:schedule_detail", schedule_id=schedule.pk)
    return render_page(request, tenant, "dashboard/schedules/form.html", {
        "form": form, "lines": lines, "no_customers": not customers.exists(), "nav": "schedules", "tab": "schedules",
    })


def _create(tenant: Tenant, request_input: ScheduleInput, *, activate_it: bool) -> Schedule:
    now = timezone.now()
    schedule = create_schedule(tenant.org, request_input, livemode=tenant.livemode, as_of=now,
                               actor=tenant.actor)
    return activate(schedule, actor=tenant.actor, as_of=now) if activate_it else schedule


def _act(request: HttpRequest, tenant: Tenant, schedule_id: int,
         service: Callable[..., Schedule], done: str) -> HttpResponse:
    """Run one schedule service as the logged-in person; its Spanish refusal is shown as is."""
    schedule = schedule_or_404(tenant, schedule_id)
    try:
        service(schedule, actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("dashboard:schedule_detail", schedule_id=schedule.pk)


@org_view
@require_POST
def schedule_activate(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    return _act(request, tenant, schedule_id, activate, "Suscripción activada; se avisó al cliente de su primera factura.")


@org_view
@require_POST
def schedule_pause(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    return _act(request, tenant, schedule_id, pause, "Suscripción en pausa: no se emiten facturas hasta reanudarla.")


@org_view
@require_POST
def schedule_resume(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    return _act(request, tenant, schedule_id, resume, "Suscripción reanudada.")


@org_view
@require_POST
def schedule_skip(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    return _act(request, tenant, schedule_id, skip_next, "Se omitirá la próxima factura.")


@org_view
@require_POST
def schedule_cancel(request: HttpRequest, tenant: Tenant, schedule_id: int) -> HttpResponse:
    return _act(request, tenant, schedule_id, cancel_at_period_end,
                "La suscripción se cancela al final del periodo: no se emiten más facturas.")


@org_view
def upcoming(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Próximas facturas: what the schedules issue in the next 30 days (nothing is issued), MRR,
    and the payment complements (REPs) still to be issued."""
    now = timezone.now()
    items = selectors.upcoming(tenant.org, UPCOMING_DAYS, livemode=tenant.livemode, as_of=now)
    return render_page(request, tenant, "dashboard/schedules/upcoming.html", {
        "items": items, "totals": totals(items), "days": UPCOMING_DAYS,
        "problems": sum(1 for item in items if item.error_code),
        "mrr": selectors.mrr(tenant.org, livemode=tenant.livemode, as_of=now),
        "reps": _reps_due(tenant, as_of=now), "nav": "schedules", "tab": "upcoming",
    })


def _reps_due(tenant: Tenant, *, as_of: datetime) -> list[DueRep]:
    return list(reps_due(tenant.org, as_of=as_of, livemode=tenant.livemode))


@org_view
def plan_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    plans = selectors.plans_for(tenant.org, livemode=tenant.livemode)
    page = Paginator(plans, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(plan, Frequency.parse(plan.frequency).label,
             plan.schedules.filter(status__in=selectors.LIVE_STATUSES).count()) for plan in page.object_list]
    return render_page(request, tenant, "dashboard/schedules/plans.html",
                       {"page": page, "rows": rows, "nav": "schedules", "tab": "plans"})


@org_view
def plan_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data)
    lines = LineFormSet(data, prefix="lines", form_kwargs={"products": _products(tenant)})
    if data is not None and form.is_valid() and lines.is_valid():
        positions, filled = _filled(lines)
        request_input = form.to_input(filled)
        if not form.errors:
            try:
                plan = create_plan(tenant.org, request_input, livemode=tenant.livemode, as_of=timezone.now(),
                                   actor=tenant.actor, source="dashboard")
            except InvoicingError as exc:
                _attach_lines_error(form, lines, positions, exc)
            else:
                messages.success(request, f"Plan «{plan.name}» creado.")
                return redirect("dashboard:plan_list")
    return render_page(request, tenant, "dashboard/schedules/plan_form.html",
                       {"form": form, "lines": lines, "nav": "schedules", "tab": "plans"})
