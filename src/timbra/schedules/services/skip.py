"""Skip the next cycle: no invoice for it; the following cycles keep their dates."""

from __future__ import annotations

from datetime import datetime

from timbra.domain import schedule_dates as sd
from timbra.schedules.models import Schedule
from timbra.schedules.services.changes import (
    current_calendar,
    describe,
    engine_errors,
    locked,
    require_status,
    save_change,
)


def skip_next(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Skip the next cycle due after `as_of` (a cycle already due is owed and still issued)."""
    with locked(schedule) as row:
        require_status(row, Schedule.DRAFT, Schedule.ACTIVE, action="omitir un periodo de")
        calendar = current_calendar(row)
        with engine_errors():
            skipped = sd.skip_next(calendar, as_of)
        index = min(skipped.skipped - calendar.skipped)
        occurrence = skipped.at(index)
        return save_change(row, kind="skipped", calendar=skipped, as_of=as_of, actor=actor,
                           message=f"{actor} omitió la factura de {describe(occurrence)}.",
                           data={"index": index, "period_key": occurrence.period.key})
