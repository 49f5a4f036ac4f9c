"""/plans and /schedules: recurring invoices, their actions, and a preview of what they will issue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import Field

from timbra.api.auth import Caller, api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import idempotent
from timbra.api.pagination import Page, PageParams, paginate, where
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.schedules import (
    CancelIn,
    LinesChangeIn,
    MrrOut,
    PlanIn,
    PlanOut,
    PlanPatch,
    PreviewListOut,
    ScheduleIn,
    ScheduleOut,
    ScheduleSummary,
    totals_by_currency,
)
from timbra.invoicing.errors import found
from timbra.schedules import selectors
from timbra.schedules.models import Plan, Schedule
from timbra.schedules.preview import Estimator
from timbra.schedules.services.cancel import cancel_at_period_end, cancel_now
from timbra.schedules.services.change_lines import change_lines_from_next_cycle
from timbra.schedules.services.create_schedule import activate, create_schedule
from timbra.schedules.services.pause import pause, resume
from timbra.schedules.services.plans import create_plan, update_plan
from timbra.schedules.services.skip import skip_next

router = Router(tags=["Facturación recurrente"], auth=api_key)

MAX_PREVIEW_DAYS = 3 * 366


def get_plan(who: Caller, plan_id: int) -> Plan:
    return found(selectors.get_plan(who.org, plan_id, livemode=who.livemode), "plan")


def get_schedule(who: Caller, schedule_id: int) -> Schedule:
    """The caller's schedule (same org and mode) or 404."""
    return found(selectors.get_schedule(who.org, schedule_id, livemode=who.livemode), "programación")


def _with_next_invoice(schedule: Schedule, *, as_of: datetime, estimator: Estimator) -> Schedule:
    """Attach the next invoice (date, period, amounts) the response shows."""
    schedule.next_invoice = selectors.next_invoice(schedule, as_of=as_of, estimator=estimator)  # type: ignore[attr-defined]
    return schedule


def detail(who: Caller, schedule_id: int) -> ScheduleOut:
    now = timezone.now()
    schedule = _with_next_invoice(get_schedule(who, schedule_id), as_of=now, estimator=Estimator(as_of=now))
    return ScheduleOut.from_orm(schedule)


# --- plans ---


@router.post("/plans", response={201: PlanOut, **WRITE_ERRORS}, summary="Crear un plan")
@idempotent()
def create_plan_view(request: HttpRequest, payload: PlanIn) -> tuple[int, PlanOut]:
    """Un plan reutilizable (partidas, frecuencia, aviso previo) al que se suscriben muchos clientes."""
    who = caller(request)
    plan = create_plan(who.org, payload.to_input(), livemode=who.livemode, as_of=timezone.now(),
                       actor=who.actor, source="api")
    return 201, PlanOut.from_orm(plan)


@router.get("/plans", response={200: Page[PlanOut], **ERRORS}, summary="Listar planes")
def list_plans(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    who = caller(request)
    return paginate(selectors.plans_for(who.org, livemode=who.livemode), params).as_page()


@router.get("/plans/{plan_id}", response={200: PlanOut, **ERRORS}, summary="Consultar un plan")
def retrieve_plan(request: HttpRequest, plan_id: int) -> Plan:
    return get_plan(caller(request), plan_id)


@router.patch("/plans/{plan_id}", response={200: PlanOut, **WRITE_ERRORS}, summary="Actualizar un plan")
def update_plan_view(request: HttpRequest, plan_id: int, payload: PlanPatch) -> Plan:
    """Cambia solo los campos enviados. Partidas nuevas: aplican desde la próxima factura de cada
    suscriptor (la que ya se debía emitir conserva las anteriores); los precios especiales se conservan."""
    who = caller(request)
    return update_plan(get_plan(who, plan_id), payload.changes(), as_of=timezone.now(), actor=who.actor,
                       source="api")


# --- schedules ---


@router.post("/schedules", response={201: ScheduleOut, **WRITE_ERRORS}, summary="Crear una programación")
@idempotent()
def create_schedule_view(request: HttpRequest, payload: ScheduleIn) -> tuple[int, ScheduleOut]:
    """Factura recurrente de un cliente: con plan o partidas propias. Se activa al crearla (salvo
    `"activate": false`); si su primer periodo ya venció hoy, la factura sale de inmediato."""
    who = caller(request)
    now = timezone.now()
    schedule = create_schedule(who.org, payload.to_input(), livemode=who.livemode, as_of=now, actor=who.actor)
    if payload.activate:
        activate(schedule, actor=who.actor, as_of=now)
    return 201, detail(who, schedule.pk)


class ScheduleFilters(PageParams):
    status: str | None = Field(None, max_length=10, description="draft, active, paused, cancelled, ended")
    customer_id: int | None = None
    plan_id: int | None = None


@router.get("/schedules", response={200: Page[ScheduleSummary], **ERRORS}, summary="Listar programaciones")
def list_schedules(request: HttpRequest, params: Query[ScheduleFilters]) -> dict[str, Any]:
    """Programaciones, de la más reciente a la más antigua, con su próxima fecha e importe."""
    who = caller(request)
    rows = where(selectors.schedules_for(who.org, livemode=who.livemode), status=params.status,
                 customer_id=params.customer_id, plan_id=params.plan_id)
    page = paginate(rows, params)
    now = timezone.now()
    estimator = Estimator(as_of=now)
    for schedule in page.rows:
        _with_next_invoice(schedule, as_of=now, estimator=estimator)
    return page.as_page()


@router.get("/schedules/preview", response={200: PreviewListOut, **ERRORS},
            summary="Ver las facturas que se emitirán")
def preview(request: HttpRequest, until: date) -> dict[str, Any]:
    """Cada factura que las programaciones emitirían hasta `until` (incluido), con periodo, fecha, partidas
    e importes calculados como la factura real. No emite nada."""
    who = caller(request)
    now = timezone.now()
    if (until - now.date()).days > MAX_PREVIEW_DAYS:
        raise ApiError(422, "until_too_far", "La vista previa llega hasta 3 años adelante.", field="until")
    items = selectors.preview(who.org, until, livemode=who.livemode, as_of=now)
    return {"until": until, "count": len(items), "totals": totals_by_currency(items), "invoices": items}


@router.get("/schedules/mrr", response={200: MrrOut, **ERRORS}, summary="Ingreso mensual recurrente")
def monthly_recurring_revenue(request: HttpRequest) -> dict[str, Any]:
    """Suma mensualizada de la próxima factura de cada programación activa (antes de impuestos)."""
    who = caller(request)
    result = selectors.mrr(who.org, livemode=who.livemode, as_of=timezone.now())
    return {"mxn": f"{result.mxn:f}", "schedules": result.schedules,
            "other_currencies": {k: f"{v:f}" for k, v in result.by_currency.items()},
            "failed_schedule_ids": result.failed}


@router.get("/schedules/{schedule_id}", response={200: ScheduleOut, **ERRORS},
            summary="Consultar una programación")
def retrieve_schedule(request: HttpRequest, schedule_id: int) -> ScheduleOut:
    """Estado, calendario, próxima factura (fecha e importe), partidas, historial y facturas emitidas."""
    return detail(caller(request), schedule_id)


def _action(request: HttpRequest, schedule_id: int, verb: Callable[..., Schedule]) -> ScheduleOut:
    who = caller(request)
    verb(get_schedule(who, schedule_id), actor=who.actor, as_of=timezone.now())
    return detail(who, schedule_id)


@router.post("/schedules/{schedule_id}/activate", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Activar una programación en borrador")
@idempotent()
def activate_view(request: HttpRequest, schedule_id: int) -> ScheduleOut:
    return _action(request, schedule_id, activate)


@router.post("/schedules/{schedule_id}/pause", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Pausar una programación")
@idempotent()
def pause_view(request: HttpRequest, schedule_id: int) -> ScheduleOut:
    """No se emiten facturas mientras esté en pausa (una que ya vencía se emite)."""
    return _action(request, schedule_id, pause)


@router.post("/schedules/{schedule_id}/resume", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Reanudar una programación")
@idempotent()
def resume_view(request: HttpRequest, schedule_id: int) -> ScheduleOut:
    """Vuelve a emitir desde la siguiente fecha de su calendario (el día ancla no cambia)."""
    return _action(request, schedule_id, resume)


@router.post("/schedules/{schedule_id}/skip-next", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Omitir el próximo periodo")
@idempotent()
def skip_next_view(request: HttpRequest, schedule_id: int) -> ScheduleOut:
    """No emite la próxima factura; las siguientes conservan sus fechas."""
    return _action(request, schedule_id, skip_next)


@router.post("/schedules/{schedule_id}/cancel", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Cancelar una programación")
@idempotent()
def cancel_view(request: HttpRequest, schedule_id: int, payload: CancelIn) -> ScheduleOut:
    """Por omisión al final del periodo ya facturado; con `"at_period_end": false`, de inmediato."""
    return _action(request, schedule_id, cancel_at_period_end if payload.at_period_end else cancel_now)


@router.post("/schedules/{schedule_id}/lines", response={200: ScheduleOut, **WRITE_ERRORS},
             summary="Cambiar partidas o precio desde el próximo periodo")
@idempotent()
def change_lines_view(request: HttpRequest, schedule_id: int, payload: LinesChangeIn) -> ScheduleOut:
    """`lines`: partidas propias desde la próxima factura; `overrides`: precio o cantidad propios sobre
    el plan. La factura que ya se debía emitir no cambia."""
    who = caller(request)
    schedule = get_schedule(who, schedule_id)
    change_lines_from_next_cycle(
        schedule,
        lines=tuple(line.to_input() for line in payload.lines) if payload.lines is not None else None,
        overrides=tuple(o.to_input() for o in payload.overrides) if payload.overrides is not None else None,
        actor=who.actor, as_of=timezone.now(),
    )
    return detail(who, schedule_id)
