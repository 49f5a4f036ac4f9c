"""What a caller (API, dashboard) asks for when it creates a plan or a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal

from timbra.invoicing.inputs import LineInput
from timbra.schedules.lines import LineOverride


@dataclass(frozen=True)
class PlanInput:
    name: str
    lines: tuple[LineInput, ...]
    frequency: str = "monthly"
    notice_days: int = 3
    prepaid: bool = False
    forma_pago: str | None = None  # required when prepaid
    moneda: str = "MXN"


@dataclass(frozen=True)
class ScheduleInput:
    """Either `plan_id` (its lines; `overrides` change price or quantity for this customer) or
    `lines`. Unset fields take the plan's value, then the defaults: frequency monthly, start
    today (schedule's zone), anchor = start, zone = the org's, issue time 06:00, never ends."""

    customer_id: int
    plan_id: int | None = None
    lines: tuple[LineInput, ...] | None = None
    overrides: tuple[LineOverride, ...] = ()
    frequency: str | None = None
    anchor_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    cycles: int | None = None
    timezone: str | None = None
    issue_time: time | None = None
    prepaid: bool | None = None
    forma_pago: str | None = None
    uso_cfdi: str | None = None
    serie: str | None = None
    moneda: str | None = None
    tipo_cambio: Decimal | None = None
    notice_days: int | None = None
    send_email: bool = True
    name: str = ""
