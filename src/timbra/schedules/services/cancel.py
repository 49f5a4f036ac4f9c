"""Cancel a schedule now, or at the end of the period already invoiced."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import long_date
from timbra.invoicing.errors import InvoicingError
from timbra.schedules.calendar import finish_at
from timbra.schedules.models import Schedule
from timbra.schedules.services.changes import (
    current_calendar,
    engine_errors,
    locked,
    require_status,
    save_change,
)


def cancel_at_period_end(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Issue nothing after the current period: the cycles due after `as_of` are cut (a cycle
    already due is still owed and issued). The schedule shows as cancelled once that period ends."""
    with locked(schedule) as row:
        # A paused schedule bills no current period: cancel it now instead.
        require_status(row, Schedule.ACTIVE, action="cancelar al final del periodo")
        if row.cancel_at_period_end:
            raise InvoicingError("already_cancelling", "La programación ya se cancela al final del periodo.")
        calendar = current_calendar(row)
        cut = calendar.first_index_due_after(as_of)
        if cut == 0:  # nothing invoiced yet: there is no period to wait for
            return _cancel(row, actor=actor, as_of=as_of)
        with engine_errors():
            # `cycles` counts calendar cycles from the first one, so cycles=cut ends at index cut;
            # the same rule keeps every earlier date (schedule_dates.change_from).
            ended = sd.change_from(calendar, cut, replace(calendar.rule_for(cut), cycles=cut))
        row.cancel_at_period_end = True
        ends = finish_at(ended)
        when = f"el {long_date(ends.astimezone(calendar.rule_for(cut).tz).date())}" if ends else "al final del periodo"
        return save_change(row, kind="cancel_at_period_end", calendar=ended, as_of=as_of, actor=actor,
                           message=f"{actor} canceló la programación al final del periodo: no se emiten más "
                                   f"facturas y termina {when}.", data={"stop_index": cut})


def cancel_now(schedule: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    """Stop at once: nothing more is issued, not even a cycle due but not yet issued."""
    with locked(schedule) as row:
        require_status(row, Schedule.DRAFT, Schedule.ACTIVE, Schedule.PAUSED, action="cancelar")
        return _cancel(row, actor=actor, as_of=as_of)


def _cancel(row: Schedule, *, actor: str, as_of: datetime) -> Schedule:
    row.status, row.finished_at = Schedule.CANCELLED, as_of
    return save_change(row, kind="cancelled", as_of=as_of, actor=actor,
                       message=f"{actor} canceló la programación; no se emiten más facturas.")
