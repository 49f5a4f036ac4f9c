"""Pause and resume a schedule. Cycles due while paused are never issued; resuming goes back to
the anchor (the next cycle is the first due at or after the resume, dates unchanged)."""

from __future__ import annotations

from datetime import datetime

from timbra.domain import schedule_dates as sd
from timbra.schedules.calendar import next_issuable
from timbra.schedules.models import Schedule
from timbra.schedules.services.changes import (
    current_calendar,
    describe,
    engine_errors,
    locked,
    require_status,
    save_change,
)


def pause(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Stop issuing from `as_of` on. A cycle already due keeps its invoice (it is owed)."""
    with locked(schedule) as row:
        require_status(row, Schedule.ACTIVE, action="pausar")
        with engine_errors():
            calendar = sd.pause(current_calendar(row), as_of)
        row.status = Schedule.PAUSED
        return save_change(row, kind="paused", calendar=calendar, as_of=as_of, actor=actor,
                           message=f"Pausada por {actor}: no se emiten facturas hasta reanudarla.")


def resume(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Issue again: the next cycle is the first due at or after `as_of`."""
    with locked(schedule) as row:
        require_status(row, Schedule.PAUSED, action="reanudar")
        with engine_errors():
            calendar = sd.resume(current_calendar(row), as_of)
        row.status = Schedule.ACTIVE
        upcoming = next_issuable(calendar, row.next_index)
        then = f"la próxima factura es la de {describe(upcoming)}" if upcoming else "no quedan periodos por facturar"
        return save_change(row, kind="resumed", calendar=calendar, as_of=as_of, actor=actor,
                           message=f"Reanudada por {actor}; {then}.")
