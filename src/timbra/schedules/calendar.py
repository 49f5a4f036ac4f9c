"""A schedule row's calendar <-> `timbra.domain.schedule_dates.Schedule`, and when to look at it next.

All date logic lives in the pure engine; this module only stores it (JSON) and answers the two
questions the issuer needs: which cycle is the next one to issue from the cursor, and when the
schedule must be looked at again.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import Frequency
from timbra.schedules.models import Schedule

_TICK = timedelta(microseconds=1)


def rule_to_json(rule: sd.ScheduleRule) -> dict[str, Any]:
    return {
        "frequency": rule.frequency.code,
        "anchor": rule.anchor.isoformat(),
        "start": rule.start.isoformat() if rule.start else None,
        "end": rule.end.isoformat() if rule.end else None,
        "cycles": rule.cycles,
        "issue_time": rule.issue_time.isoformat(),
        "timezone": rule.timezone,
    }


def rule_from_json(data: dict[str, Any]) -> sd.ScheduleRule:
    return sd.ScheduleRule(
        Frequency.parse(data["frequency"]),
        anchor=date.fromisoformat(data["anchor"]),
        start=date.fromisoformat(data["start"]) if data.get("start") else None,
        end=date.fromisoformat(data["end"]) if data.get("end") else None,
        cycles=data.get("cycles"),
        issue_time=time.fromisoformat(data["issue_time"]),
        timezone=data["timezone"],
    )


def to_json(calendar: sd.Schedule) -> dict[str, Any]:
    """The calendar as stored in `Schedule.calendar`."""
    return {
        "versions": [{"from": v.effective_from, **rule_to_json(v.rule)} for v in calendar.versions],
        "skipped": sorted(calendar.skipped),
        "pauses": [
            {"paused_at": p.paused_at.isoformat(),
             "resumed_at": p.resumed_at.isoformat() if p.resumed_at else None}
            for p in calendar.pauses
        ],
    }


def from_json(data: dict[str, Any]) -> sd.Schedule:
    return sd.Schedule(
        versions=tuple(sd.RuleVersion(v["from"], rule_from_json(v)) for v in data["versions"]),
        skipped=frozenset(data.get("skipped", ())),
        pauses=tuple(
            sd.Pause(datetime.fromisoformat(p["paused_at"]),
                     datetime.fromisoformat(p["resumed_at"]) if p.get("resumed_at") else None)
            for p in data.get("pauses", ())
        ),
    )


def calendar_of(schedule: Schedule) -> sd.Schedule:
    """The schedule's calendar as the pure engine sees it."""
    return from_json(schedule.calendar)


def store(schedule: Schedule, calendar: sd.Schedule) -> None:
    """Put `calendar` on the row (unsaved) and mirror its latest rule in the columns."""
    schedule.calendar = to_json(calendar)
    rule = calendar.versions[-1].rule
    schedule.frequency = rule.frequency.code
    schedule.anchor_date = rule.anchor
    schedule.start_date = rule.start or rule.anchor
    schedule.end_date = rule.end
    schedule.cycles = rule.cycles
    schedule.timezone = rule.timezone
    schedule.issue_time = rule.issue_time


def next_issuable(calendar: sd.Schedule, index: int) -> sd.Occurrence | None:
    """The first cycle at or after `index` that will be issued (not skipped, paused or ended)."""
    if calendar.stop is not None and index >= calendar.stop:
        return None
    # Due instants strictly increase with the index, so "due after due_at(index) - 1 µs" starts at index.
    return calendar.next_due(calendar.due_at(index) - _TICK)


def finish_at(calendar: sd.Schedule) -> datetime | None:
    """When the last period ends (local midnight after it), or None if the schedule never ends."""
    stop = calendar.stop
    if stop is None:
        return None
    if stop == 0:
        return calendar.due_at(0)
    last = calendar.at(stop - 1)
    rule = calendar.rule_for(stop - 1)
    return sd.local_instant(last.period.end_exclusive, time(0), rule.tz)


def wake_at(schedule: Schedule, calendar: sd.Schedule | None = None) -> datetime | None:
    """`next_due_at`: the next cycle to issue, else the end of the last period (to mark the
    schedule ended), else None (draft, finished, or paused with nothing pending)."""
    if schedule.status not in (Schedule.ACTIVE, Schedule.PAUSED):
        return None
    calendar = calendar or calendar_of(schedule)
    upcoming = next_issuable(calendar, schedule.next_index)
    if upcoming is not None:
        return upcoming.due_at
    if schedule.status == Schedule.PAUSED:
        return None  # resume() recomputes it
    return finish_at(calendar)


def remaining_cycles(schedule: Schedule, calendar: sd.Schedule | None = None) -> int | None:
    """Cycles left before the end (skipped ones count, as the engine counts cycles), None if never."""
    stop = (calendar or calendar_of(schedule)).stop
    return None if stop is None else max(0, stop - schedule.next_index)
