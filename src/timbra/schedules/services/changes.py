"""The shared write path of every schedule change: lock, apply, bump revision, wake-up, history."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import ScheduleError, long_date
from timbra.invoicing.errors import InvoicingError
from timbra.schedules.calendar import calendar_of, store, wake_at
from timbra.schedules.models import Schedule, ScheduleChange

# Fields a change may write. Never `next_index`: only the issuer moves the cursor (monotonic).
_CHANGE_FIELDS = ["calendar", "frequency", "anchor_date", "start_date", "end_date", "cycles", "timezone",
                  "issue_time", "line_versions", "status", "cancel_at_period_end", "next_due_at", "revision",
                  "updated_at", "activated_at", "finished_at"]


@contextmanager
def engine_errors() -> Iterator[None]:
    """The date engine's ScheduleError as the InvoicingError the API and dashboard understand."""
    try:
        yield
    except ScheduleError as exc:
        raise InvoicingError(exc.code, exc.message) from exc


@contextmanager
def locked(schedule: Schedule) -> Iterator[Schedule]:
    """A fresh copy of `schedule`, row-locked for the rest of the transaction (PostgreSQL; on
    SQLite the IMMEDIATE transaction already serialises writers)."""
    with transaction.atomic():
        rows = Schedule.objects.select_for_update(of=("self",)).select_related("org", "customer", "plan")
        yield rows.get(pk=schedule.pk)


def require_status(schedule: Schedule, *allowed: str, action: str) -> None:
    if schedule.status not in allowed:
        raise InvoicingError("schedule_status", f"No se puede {action} una programación "
                             f"{schedule.status_label.lower()}.")


def save_change(schedule: Schedule, *, kind: str, message: str, as_of: datetime, actor: str,
                calendar: sd.Schedule | None = None, data: dict[str, Any] | None = None) -> Schedule:
    """Store the (locked, modified) schedule and its history row."""
    if calendar is not None:
        store(schedule, calendar)
    schedule.revision += 1
    schedule.updated_at = as_of
    schedule.next_due_at = wake_at(schedule, calendar)
    schedule.save(update_fields=_CHANGE_FIELDS)
    record(schedule, kind=kind, message=message, as_of=as_of, actor=actor, data=data)
    return schedule


def record(schedule: Schedule, *, kind: str, message: str, as_of: datetime, actor: str = "sistema",
           data: dict[str, Any] | None = None) -> ScheduleChange:
    """Append one row to the schedule's history."""
    return ScheduleChange.objects.create(schedule=schedule, at=as_of, actor=actor, kind=kind, message=message,
                                         data=data or {})


def describe(occurrence: sd.Occurrence) -> str:
    """ "noviembre 2026 (30 de noviembre de 2026)": how history names a cycle."""
    return f"{occurrence.period.label} ({long_date(occurrence.local_date)})"


def current_calendar(schedule: Schedule) -> sd.Schedule:
    with engine_errors():
        return calendar_of(schedule)
