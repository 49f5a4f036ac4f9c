"""A schedule row's calendar: JSON round trip, the next cycle to issue, when to wake, when it ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import Frequency
from timbra.schedules.calendar import (
    finish_at,
    from_json,
    next_issuable,
    remaining_cycles,
    store,
    to_json,
    wake_at,
)
from timbra.schedules.models import Schedule

CDMX = ZoneInfo("America/Mexico_City")
MONTHLY = Frequency.parse("monthly")


def rule(**fields: object) -> sd.ScheduleRule:
    return sd.ScheduleRule(MONTHLY, **{"anchor": date(2026, 1, 31), **fields})  # type: ignore[arg-type]


def row(calendar: sd.Schedule, *, status: str = Schedule.ACTIVE, next_index: int = 0) -> Schedule:
    schedule = Schedule(status=status, next_index=next_index)
    store(schedule, calendar)
    return schedule


def test_a_calendar_with_versions_skips_and_pauses_survives_the_json_round_trip():
    # given a calendar with a change of rule, a skipped cycle and a closed and an open pause
    calendar = sd.Schedule.of(rule(start=date(2026, 3, 1), issue_time=time(2, 30), timezone="America/Tijuana"))
    calendar = sd.change_from(calendar, 4, rule(cycles=12, timezone="America/Tijuana"))
    calendar = sd.skip(calendar, 2)
    calendar = sd.pause(calendar, datetime(2026, 5, 1, tzinfo=UTC))
    calendar = sd.resume(calendar, datetime(2026, 6, 1, tzinfo=UTC))
    calendar = sd.pause(calendar, datetime(2026, 9, 1, tzinfo=UTC))
    # when stored and read back
    restored = from_json(to_json(calendar))
    # then it is the same calendar, date for date
    assert restored == calendar
    assert [restored.due_at(n) for n in range(8)] == [calendar.due_at(n) for n in range(8)]


def test_store_mirrors_the_latest_rule_in_the_columns():
    schedule = row(sd.change_from(sd.Schedule.of(rule()), 3, rule(cycles=6, timezone="America/Cancun")))
    assert (schedule.frequency, schedule.anchor_date, schedule.cycles, schedule.timezone) == (
        "monthly", date(2026, 1, 31), 6, "America/Cancun")


def test_next_issuable_steps_over_skipped_and_paused_cycles():
    calendar = sd.skip(sd.Schedule.of(rule()), 1)
    assert next_issuable(calendar, 1).local_date == date(2026, 3, 31)  # type: ignore[union-attr]
    paused = sd.pause(calendar, datetime(2026, 3, 1, tzinfo=CDMX))
    assert next_issuable(paused, 1) is None
    resumed = sd.resume(paused, datetime(2026, 6, 15, tzinfo=CDMX))
    assert next_issuable(resumed, 1).local_date == date(2026, 6, 30)  # type: ignore[union-attr]


def test_a_finished_calendar_wakes_at_the_end_of_its_last_period():
    calendar = sd.Schedule.of(rule(cycles=2))  # Jan 31 and Feb 28; the last period ends Mar 30
    assert finish_at(calendar) == datetime(2026, 3, 31, 0, 0, tzinfo=CDMX)
    assert wake_at(row(calendar, next_index=2)) == finish_at(calendar)
    assert wake_at(row(calendar, next_index=1)) == datetime(2026, 2, 28, 6, tzinfo=CDMX)
    assert remaining_cycles(row(calendar, next_index=1)) == 1
    assert finish_at(sd.Schedule.of(rule())) is None and remaining_cycles(row(sd.Schedule.of(rule()))) is None


def test_only_live_schedules_wake_and_a_paused_one_only_for_what_it_owes():
    calendar = sd.pause(sd.Schedule.of(rule()), datetime(2026, 3, 1, tzinfo=CDMX))
    assert wake_at(row(calendar, status=Schedule.DRAFT)) is None
    assert wake_at(row(calendar, status=Schedule.CANCELLED)) is None
    assert wake_at(row(calendar, status=Schedule.PAUSED, next_index=1)) == datetime(2026, 2, 28, 6, tzinfo=CDMX)
    assert wake_at(row(calendar, status=Schedule.PAUSED, next_index=2)) is None
