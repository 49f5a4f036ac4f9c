"""Property tests for schedule dates (issue 4): anchors 2000-2100, every frequency, zones with odd DST."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from timbra.domain.periods import Frequency, Unit
from timbra.domain.schedule_dates import (
    Pause,
    RuleVersion,
    Schedule,
    ScheduleRule,
    local_instant,
)

# Mexico's zones plus the awkward ones: Santiago changes at midnight (the date's first hour is
# missing), Lord Howe shifts 30 minutes, Apia skipped 2011-12-30 entirely, St John's is UTC-3:30.
ZONES = (
    "America/Mexico_City", "America/Tijuana", "America/Cancun", "America/Hermosillo",
    "America/Ciudad_Juarez", "America/Santiago", "Australia/Lord_Howe", "Pacific/Apia", "America/St_Johns",
)  # fmt: skip
NAMED = ("weekly", "every_2_weeks", "monthly", "every_2_months", "quarterly", "every_6_months", "yearly")
EDGE_TIMES = (
    time(0, 0),
    time(0, 30),
    time(1, 30),
    time(2, 0),
    time(2, 30),
    time(3, 0),
    time(6, 0),
    time(23, 59),
)

frequencies = st.one_of(
    st.sampled_from(NAMED).map(Frequency.parse),
    st.builds(Frequency, st.sampled_from(list(Unit)), st.integers(1, 40)),
)
month_frequencies = st.builds(Frequency, st.just(Unit.MONTH), st.integers(1, 36))
anchors = st.dates(date(2000, 1, 1), date(2100, 12, 31))
zones = st.sampled_from(ZONES)
issue_times = st.one_of(st.sampled_from(EDGE_TIMES), st.times().map(lambda t: t.replace(microsecond=0)))


@st.composite
def rules(draw: st.DrawFn, frequency: st.SearchStrategy[Frequency] = frequencies) -> ScheduleRule:
    anchor = draw(anchors)
    start = draw(st.none() | st.integers(-400, 400).map(lambda days: anchor + timedelta(days=days)))
    return ScheduleRule(
        draw(frequency), anchor=anchor, start=start, issue_time=draw(issue_times), timezone=draw(zones)
    )


FAST = settings(max_examples=150, deadline=None)


@FAST
@given(rules(), st.integers(0, 200))
def test_occurrences_and_due_instants_strictly_increase(rule: ScheduleRule, first: int) -> None:
    # given any rule, when listing 25 consecutive cycles anywhere in its life
    cycles = range(first, first + 25)
    days = [rule.occurrence(n) for n in cycles]
    due = [rule.due_at(n) for n in cycles]
    # then dates and due instants strictly increase (so they are unique) and never precede the start
    assert all(a < b for a, b in zip(days, days[1:], strict=False))
    assert all(a < b for a, b in zip(due, due[1:], strict=False))
    assert days[0] >= (rule.start or rule.anchor)
    assert all(d.tzinfo is UTC for d in due)


@FAST
@given(rules(month_frequencies), st.integers(0, 150))
def test_month_based_cycles_fall_on_the_anchor_day_or_the_month_end(rule: ScheduleRule, n: int) -> None:
    # given a month-based rule whose first cycle is `first`
    first = rule.occurrence(0)
    day = rule.occurrence(n)
    # then cycle n is n * count months later, on min(anchor day, days in that month) (Feb 29 in leap years)
    months = (day.year - first.year) * 12 + day.month - first.month
    assert months == n * rule.frequency.count
    assert day.day == min(rule.anchor.day, calendar.monthrange(day.year, day.month)[1])


@FAST
@given(rules(), st.lists(st.integers(0, 120), min_size=1, max_size=8))
def test_occurrence_n_does_not_depend_on_earlier_computations(rule: ScheduleRule, indices: list[int]) -> None:
    # given a rule used for cycles in any order, and a fresh copy of it
    used = [rule.occurrence(n) for n in indices]
    fresh = ScheduleRule(
        rule.frequency, rule.anchor, rule.start, issue_time=rule.issue_time, timezone=rule.timezone
    )
    # then every answer equals the fresh copy's, and the sequential enumeration's
    assert used == [fresh.occurrence(n) for n in indices]
    enumerated = Schedule.of(fresh).missed(fresh.due_at(max(indices)), last_issued_index=None)
    assert [enumerated[n].local_date for n in indices] == used


@FAST
@given(rules(), st.integers(0, 60), st.lists(st.integers(0, 24 * 400), max_size=6), st.integers(1, 24 * 420))
def test_split_windows_list_the_same_cycles_as_one_window(
    rule: ScheduleRule, first: int, cuts: list[int], hours: int
) -> None:
    # given a window of up to ~14 months starting near cycle `first`, cut at arbitrary hours
    start = rule.due_at(first) - timedelta(hours=1)
    end = start + timedelta(hours=hours)
    bounds = [start, *sorted(start + timedelta(hours=min(h, hours)) for h in cuts), end]
    schedule = Schedule.of(rule)
    # when listing per chunk and all at once
    chunked = [o for a, b in zip(bounds, bounds[1:], strict=False) for o in schedule.due_between(a, b)]
    whole = schedule.due_between(start, end)
    # then nothing is lost or repeated, and the cycles are consecutive from the first due after the start
    assert chunked == whole
    first_after = schedule.first_index_due_after(start)
    assert first_after <= first
    assert [o.index for o in whole] == list(range(first_after, first_after + len(whole)))


@FAST
@given(rules(), st.integers(-24 * 30, 24 * 800), st.integers(0, 3599))
def test_next_due_is_the_first_cycle_due_strictly_after_any_instant(
    rule: ScheduleRule, hours: int, secs: int
) -> None:
    instant = rule.due_at(0) + timedelta(hours=hours, seconds=secs)
    n = Schedule.of(rule).first_index_due_after(instant)
    upcoming = Schedule.of(rule).next_due(instant)
    assert upcoming is not None
    assert upcoming.index == n
    assert upcoming.due_at > instant
    assert n == 0 or rule.due_at(n - 1) <= instant


@FAST
@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), issue_times, zones)
def test_every_local_date_maps_to_one_instant_in_order(day: date, at: time, name: str) -> None:
    tz = ZoneInfo(name)
    due = local_instant(day, at, tz)
    wall = datetime.combine(day, at)
    local = due.astimezone(tz).replace(tzinfo=None)
    # then: the wall time itself when it exists (first occurrence if doubled), else the end of the gap
    exists = wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall
    if exists:
        assert local == wall
        assert due == wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    else:
        assert local > wall
        assert (due - timedelta(seconds=1)).astimezone(tz).utcoffset() != due.astimezone(tz).utcoffset()
    # and the next day is always later, never the same instant
    assert local_instant(day + timedelta(days=1), at, tz) > due


@st.composite
def versioned_schedules(draw: st.DrawFn) -> Schedule:
    versions = [RuleVersion(0, draw(rules()))]
    for _ in range(draw(st.integers(1, 3))):
        versions.append(RuleVersion(versions[-1].effective_from + draw(st.integers(1, 8)), draw(rules())))
    return Schedule(tuple(versions))


@FAST
@given(versioned_schedules())
def test_rule_changes_keep_dates_increasing_periods_disjoint_and_keys_unique(schedule: Schedule) -> None:
    # given up to three rule changes (any frequency, anchor, zone, time), over the cycles around them
    last = schedule.versions[-1].effective_from + 6
    cycles = [schedule.at(n) for n in range(last)]
    # then dates and instants strictly increase, periods never overlap, and period keys never repeat
    assert all(a.due_at < b.due_at for a, b in zip(cycles, cycles[1:], strict=False))
    assert all(a.period.end_date < b.local_date for a, b in zip(cycles, cycles[1:], strict=False))
    assert len({o.period.key for o in cycles}) == len(cycles)


@st.composite
def modified_schedules(draw: st.DrawFn) -> Schedule:
    rule = draw(rules())
    origin = rule.due_at(0)
    skipped = frozenset(draw(st.lists(st.integers(0, 40), max_size=5)))
    offsets = sorted(draw(st.lists(st.integers(0, 24 * 900), min_size=0, max_size=6, unique=True)))
    instants = [origin + timedelta(hours=h) for h in offsets]
    pauses = tuple(Pause(a, b) for a, b in zip(instants[::2], instants[1::2], strict=False))
    if len(instants) % 2:
        pauses = (*pauses, Pause(instants[-1]))
    return Schedule((RuleVersion(0, rule),), skipped=skipped, pauses=pauses)


@FAST
@given(modified_schedules(), st.lists(st.integers(0, 24 * 1000), max_size=5))
def test_skips_and_pauses_drop_exactly_their_cycles_and_catch_up_in_chunks_matches(
    schedule: Schedule, as_of_hours: list[int]
) -> None:
    origin = schedule.due_at(0) - timedelta(seconds=1)
    horizon = origin + timedelta(days=1000)
    issued = schedule.due_between(origin, horizon)
    every = [schedule.at(n) for n in range(issued[-1].index + 1 if issued else 0)]
    # then a cycle is issued exactly when it is neither skipped nor due inside a pause
    expected = [
        o for o in every
        if o.index not in schedule.skipped and not any(p.covers(o.due_at) for p in schedule.pauses)
    ]  # fmt: skip
    assert issued == expected
    # and catching up in several steps (each from the last issued index) gives the same list
    caught: list[int] = []
    for hours in sorted(as_of_hours):
        caught += [
            o.index for o in schedule.missed(origin + timedelta(hours=hours), caught[-1] if caught else None)
        ]
    assert caught == [
        o.index for o in schedule.missed(origin + timedelta(hours=max(as_of_hours, default=0)), None)
    ]
    # and next_due agrees with the window listing
    upcoming = schedule.next_due(origin)
    if issued:
        assert upcoming == issued[0]
    else:
        assert upcoming is None or upcoming.due_at > horizon
