"""Create a schedule (a draft) and activate it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from timbra import jobs
from timbra.customers.models import Customer
from timbra.domain import schedule_dates as sd
from timbra.domain.periods import Frequency
from timbra.domain.taxpayer import validate_fiscal_data
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.orgs.models import Org
from timbra.schedules import signals
from timbra.schedules.calendar import next_issuable, store
from timbra.schedules.inputs import ScheduleInput
from timbra.schedules.lines import prepare_lines, prepare_overrides
from timbra.schedules.models import Plan, Schedule
from timbra.schedules.preview import Estimator
from timbra.schedules.services import validation
from timbra.schedules.services.changes import (
    current_calendar,
    describe,
    engine_errors,
    locked,
    record,
    require_status,
    save_change,
)

# A start in the past bills the past cycles (each once, when activated); further back than a
# quarter is far more likely a typo than a forgotten contract.
MAX_BACKDATE = timedelta(days=92)


def create_schedule(org: Org, request: ScheduleInput, *, livemode: bool, as_of: datetime, actor: str) -> Schedule:
    """Create a draft schedule. Its first invoice is computed once (not saved) so a schedule
    that could never issue (unknown product, bad tax data) is refused now, not at 6 a.m."""
    customer = Customer.objects.filter(pk=request.customer_id, org=org, livemode=livemode).first()
    if customer is None:
        raise NotFound("cliente")
    plan = _plan(org, request, livemode=livemode)
    if request.end_date is not None and request.cycles is not None:
        raise InvoicingError("end_ambiguous", "La programación termina en una fecha o tras un número de ciclos, "
                             "no ambas.", field="cycles")
    prepaid = request.prepaid if request.prepaid is not None else bool(plan and plan.prepaid)
    default_forma = plan.forma_pago if plan and plan.prepaid else None
    schedule = Schedule(
        org=org, livemode=livemode, customer=customer, plan=plan, name=request.name.strip()[:200],
        line_versions=[_first_lines(org, request, plan, livemode=livemode)],
        prepaid=prepaid, forma_pago=validation.forma_pago(prepaid, request.forma_pago or default_forma),
        moneda=validation.moneda(request.moneda or (plan.moneda if plan else "MXN"), request.tipo_cambio),
        tipo_cambio=request.tipo_cambio, uso_cfdi=_uso_cfdi(request.uso_cfdi, customer),
        serie=(request.serie or "").strip().upper(), send_email=request.send_email,
        notice_days=validation.notice_days(
            request.notice_days if request.notice_days is not None else (plan.notice_days if plan else 3)),
        status=Schedule.DRAFT, created_at=as_of, updated_at=as_of,
    )
    calendar = sd.Schedule.of(_rule(org, request, plan, as_of=as_of))
    store(schedule, calendar)
    _check_first_invoice(schedule, calendar, as_of=as_of)
    with transaction.atomic():
        schedule.save(force_insert=True)
        record(schedule, kind="created", as_of=as_of, actor=actor, message=(
            f"Programación {calendar.versions[0].rule.frequency.label} creada por {actor} para "
            f"{customer.nombre}, desde el {schedule.start_date:%d/%m/%Y}."))
    return schedule


def _plan(org: Org, request: ScheduleInput, *, livemode: bool) -> Plan | None:
    if (request.plan_id is None) == (request.lines is None):
        raise InvoicingError("plan_or_lines", "Indica un plan o partidas propias (una de las dos).", field="lines")
    if request.plan_id is None:
        if request.overrides:
            raise InvoicingError("overrides_need_plan", "Los precios especiales solo aplican sobre un plan.",
                                 field="overrides")
        return None
    plan = Plan.objects.filter(pk=request.plan_id, org=org, livemode=livemode).first()
    if plan is None:
        raise NotFound("plan")
    if not plan.active:
        raise InvoicingError("plan_inactive", f"El plan «{plan.name}» ya no acepta suscripciones.", field="plan_id")
    return plan


def _first_lines(org: Org, request: ScheduleInput, plan: Plan | None, *, livemode: bool) -> dict[str, object]:
    if plan is None:
        return {"from": 0, "lines": prepare_lines(org, request.lines or (), livemode=livemode), "overrides": []}
    return {"from": 0, "lines": None, "overrides": prepare_overrides(request.overrides, len(plan.lines))}


def _uso_cfdi(code: str | None, customer: Customer) -> str:
    """An override of the customer's uso de CFDI, compatible with its régimen today (CFDI40161);
    if the customer's régimen changes later, the pre-stamp check holds the invoice instead."""
    if not code:
        return ""
    problems = validate_fiscal_data(customer.rfc, customer.nombre, customer.regimen_fiscal,
                                    customer.codigo_postal, code)
    for problem in problems:
        if problem.field == "uso_cfdi":
            raise InvoicingError(problem.code, problem.message, field="uso_cfdi")
    return code


def _rule(org: Org, request: ScheduleInput, plan: Plan | None, *, as_of: datetime) -> sd.ScheduleRule:
    timezone = request.timezone or org.timezone
    with engine_errors():
        today = as_of.astimezone(sd.zone(timezone)).date()
        start = request.start_date or today
        if start < today - MAX_BACKDATE:
            raise InvoicingError("start_too_early", "La fecha de inicio no puede ser de hace más de 92 días: "
                                 "cada periodo pasado se facturaría al activar.", field="start_date")
        issue_time = (request.issue_time or sd.DEFAULT_ISSUE_TIME).replace(tzinfo=None, microsecond=0)
        code = request.frequency or (plan.frequency if plan else "monthly")
        return sd.ScheduleRule(Frequency.parse(code), anchor=request.anchor_date or start, start=start,
                               end=request.end_date, cycles=request.cycles, issue_time=issue_time,
                               timezone=timezone)


def _check_first_invoice(schedule: Schedule, calendar: sd.Schedule, *, as_of: datetime) -> None:
    first = next_issuable(calendar, 0)
    if first is None:
        raise InvoicingError("no_cycles", "Con estas fechas la programación no emitiría ninguna factura.",
                             field="end_date")
    preview = Estimator(as_of=as_of).estimate(schedule, first)
    if preview.error_code:
        raise InvoicingError(preview.error_code, preview.error_message)


def activate(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Start issuing: the first cycle due (even one already due today) is issued at once."""
    with locked(schedule) as row:
        require_status(row, Schedule.DRAFT, action="activar")
        row.status, row.activated_at = Schedule.ACTIVE, as_of
        calendar = current_calendar(row)
        first = next_issuable(calendar, row.next_index)
        message = f"Activada por {actor}; la primera factura es la de {describe(first)}." if first else \
            f"Activada por {actor}; no quedan periodos por facturar."
        save_change(row, kind="activated", message=message, as_of=as_of, actor=actor,
                    data={"first_index": first.index if first else None})
        transaction.on_commit(lambda: signals.schedule_activated.send(Schedule, schedule=row, as_of=as_of))
        jobs.enqueue_on_commit("schedules.issue", schedule_id=row.pk)
    return row

