"""Plan use cases: create a plan, change it (its lines reach every member's NEXT invoice)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import LineInput
from timbra.orgs.audit import record_change
from timbra.orgs.models import Org
from timbra.schedules.calendar import calendar_of
from timbra.schedules.inputs import PlanInput
from timbra.schedules.lines import prepare_lines
from timbra.schedules.models import Plan, Schedule, ScheduleChange
from timbra.schedules.services import validation
from timbra.schedules.services.changes import describe

_MEMBER_STATUSES = (Schedule.DRAFT, Schedule.ACTIVE, Schedule.PAUSED)


_AUDITED = ("name", "frequency", "notice_days", "prepaid", "forma_pago", "moneda", "active", "lines")


def _audited(plan: Plan | None) -> dict[str, Any]:
    return {name: getattr(plan, name) for name in _AUDITED} if plan is not None else {}


def create_plan(org: Org, request: PlanInput, *, livemode: bool, as_of: datetime,
                actor: str = "sistema", source: str = "job") -> Plan:
    """Create a plan customers can subscribe to."""
    name = request.name.strip()
    if not name:
        raise InvoicingError("name_required", "El plan necesita un nombre.", field="name")
    lines = prepare_lines(org, request.lines, livemode=livemode)
    with transaction.atomic():
        plan = _insert_plan(org, request, name=name, lines=lines, livemode=livemode, as_of=as_of)
        record_change(org, "plan_created", f"Plan creado: {plan.name}.", object_type="plan", object_id=plan.pk,
                      before={}, after=_audited(plan), actor=actor, source=source, as_of=as_of)
    return plan


def _insert_plan(org: Org, request: PlanInput, *, name: str, lines: list[dict[str, Any]], livemode: bool,
                 as_of: datetime) -> Plan:
    return Plan.objects.create(
        org=org, livemode=livemode, name=name[:200], lines=lines,
        versions=[{"at": as_of.isoformat(), "lines": lines}],
        frequency=validation.frequency_code(request.frequency),
        notice_days=validation.notice_days(request.notice_days),
        prepaid=request.prepaid, forma_pago=validation.forma_pago(request.prepaid, request.forma_pago),
        moneda=validation.moneda(request.moneda, None, needs_rate=False), created_at=as_of, updated_at=as_of,
    )


def update_plan(plan: Plan, changes: dict[str, Any], *, as_of: datetime, actor: str, source: str = "job") -> Plan:
    """Change name, frequency, notice days, payment defaults, `active` or `lines`.

    New lines are a new version in force from `as_of`: every cycle due from now on takes them
    (each member's next invoice), a cycle already due keeps the old ones, and a member's own
    override still wins. Frequency and payment terms are defaults for new members only: a
    member's dates never move because someone edited the plan."""
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        before = _audited(plan)
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
        record_change(plan.org, "plan_changed", f"Plan cambiado: {plan.name}.", object_type="plan", object_id=plan.pk,
                      before=before, after=_audited(plan), actor=actor, source=source, as_of=as_of)
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
