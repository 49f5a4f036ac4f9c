"""Plan use cases: create a plan, change it (its lines reach every member's NEXT invoice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import LineInput
from timbra.orgs.models import Org
from timbra.schedules.calendar import calendar_of
from timbra.schedules.inputs import PlanInput
from timbra.schedules.lines import prepare_lines
from timbra.schedules.models import Plan, Schedule, ScheduleChange
from timbra.schedules.services import validation
from timbra.schedules.services.changes import describe

_MEMBER_STATUSES = (Schedule.DRAFT, Schedule.ACTIVE, Schedule.PAUSED)


def create_plan(org: Org, request: PlanInput, *, livemode: bool, as_of: datetime) -> Plan:
    """Create a plan customers can subscribe to."""
    name = request.name.strip()
    if not name:
        raise InvoicingError("name_required", "El plan necesita un nombre.", field="name")
    lines = prepare_lines(org, request.lines, livemode=livemode)
    return Plan.objects.create(
        org=org, livemode=livemode, name=name[:200], lines=lines,
        versions=[{"at": as_of.isoformat(), "lines": lines}],
        frequency=validation.frequency_code(request.frequency),
        notice_days=validation.notice_days(request.notice_days),
        prepaid=request.prepaid, forma_pago=validation.forma_pago(request.prepaid, request.forma_pago),
        moneda=validation.moneda(request.moneda, None, needs_rate=False), created_at=as_of, updated_at=as_of,
    )


def update_plan(plan: Plan, changes: dict[str, Any], *, as_of: datetime, actor: str) -> Plan:
    """Change name, frequency, notice days, payment defaults, `active` or `lines`.

    New lines are a new version in force from `as_of`: every cycle due from now on takes them
    (each member's next invoice), a cycle already due keeps the old ones, and a member's own
    override still wins. Frequency and payment terms are defaults for new members only: a
    member's dates never move because someone edited the plan."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if "name" in changes:
            plan.name = str(changes["name"]).strip()[:200] or plan.name
        if "frequency" in changes:  # the default of new members; existing ones keep their dates
            plan.frequency = validation.frequency_code(str(changes["frequency"]))
        if "notice_days" in changes:
            plan.notice_days = validation.notice_days(int(changes["notice_days"]))
        if "prepaid" in changes or "forma_pago" in changes:
            plan.prepaid = bool(changes.get("prepaid", plan.prepaid))
            plan.forma_pago = validation.forma_pago(plan.prepaid, changes.get("forma_pago", plan.forma_pago))
        if "active" in changes:
            plan.active = bool(changes["active"])
        if changes.get("lines") is not None:
            _new_lines(plan, changes["lines"], as_of=as_of, actor=actor)
        plan.updated_at = as_of
        plan.save()
    return plan


def _new_lines(plan: Plan, lines: tuple[LineInput, ...], *, as_of: datetime, actor: str) -> None:
    stored = prepare_lines(plan.org, lines, livemode=plan.livemode)
    members = list(Schedule.objects.filter(plan=plan, status__in=_MEMBER_STATUSES).select_related("customer"))
    for member in members:
        overridden = [o["position"] for v in member.line_versions for o in v.get("overrides") or []]
        if overridden and max(overridden) > len(stored):
            raise InvoicingError("override_position_invalid", f"La suscripción {member.pk} de "
                                 f"{member.customer.nombre} tiene un precio especial en la partida "
                                 f"{max(overridden)}; no la quites del plan o cambia antes esa suscripción.",
                                 field="lines")
    plan.lines = stored
    plan.versions = [*plan.versions, {"at": as_of.isoformat(), "lines": stored}]
    ScheduleChange.objects.bulk_create(
        ScheduleChange(schedule=m, at=as_of, actor=actor, kind="plan_changed", message=_member_message(plan, m, as_of=as_of),
                       data={"plan_id": plan.pk})
        for m in members
    )


def _member_message(plan: Plan, member: Schedule, *, as_of: datetime) -> str:
    upcoming = calendar_of(member).next_due(as_of)  # the first cycle due after the change
    when = f"desde la factura de {describe(upcoming)}" if upcoming else "desde la próxima factura"
    return f"El plan «{plan.name}» cambió sus partidas; aplican {when}."
