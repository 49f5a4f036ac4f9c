"""Recurring-invoice dates (issue 4): anchors, periods, Spanish labels, DST, skips, pauses, versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from timbra.domain.periods import (
    MONTHLY,
    WEEKLY,
    YEARLY,
    Frequency,
    Period,
    ScheduleError,
    Unit,
    check_description_template,
    render_description,
)
from timbra.domain.schedule_dates import (
    Schedule,
    ScheduleRule,
    change_from,
    change_from_next,
    local_instant,
    pause,
    resume,
    simulate,
    skip,
    skip_next,
)

TIJUANA = ZoneInfo("America/Tijuana")
CDMX = ZoneInfo("America/Mexico_City")
QUARTERLY = Frequency.parse("quarterly")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CDMX)


def dates(rule: ScheduleRule, count: int) -> list[date]:
    return [rule.occurrence(n) for n in range(count)]


def at_cdmx(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CDMX)


# --- Frequencies ---


@pytest.mark.parametrize(
    ("code", "unit", "count", "label"),
    [
        ("weekly", Unit.WEEK, 1, "semanal"),
        ("every_2_weeks", Unit.WEEK, 2, "cada 2 semanas"),
        ("monthly", Unit.MONTH, 1, "mensual"),
        ("every_2_months", Unit.MONTH, 2, "bimestral"),
        ("quarterly", Unit.MONTH, 3, "trimestral"),
        ("every_6_months", Unit.MONTH, 6, "semestral"),
        ("yearly", Unit.MONTH, 12, "anual"),
        ("every_n_days:10", Unit.DAY, 10, "cada 10 días"),
        ("every_n_weeks:3", Unit.WEEK, 3, "cada 3 semanas"),
        ("every_n_months:4", Unit.MONTH, 4, "cada 4 meses"),
    ],
)
def test_frequency_codes_parse_round_trip_and_read_in_spanish(
    code: str, unit: Unit, count: int, label: str
) -> None:
    # when a stored code is parsed, then it has the right shape, the same code and a Spanish label
    frequency = Frequency.parse(code)
    assert (frequency.unit, frequency.count) == (unit, count)
    assert frequency.code == code
    assert frequency.label == label


def test_an_every_n_code_equal_to_a_named_frequency_gets_the_named_code() -> None:
    # given every 3 months spelled generically, then it is the same frequency as "quarterly"
    assert Frequency.parse("every_n_months:3") == QUARTERLY
    assert Frequency.parse("every_n_months:3").code == "quarterly"


@pytest.mark.parametrize(
    "code", ["fortnightly", "every_n_days:0", "every_n_days:-1", "every_n_days:x", "every_n_days:"]
)
def test_unknown_or_malformed_frequency_codes_are_refused_in_spanish(code: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        Frequency.parse(code)
    assert raised.value.code == "invalid_frequency"
    assert "frecuencia" in raised.value.message.lower()


# --- Anchors and month ends ---


def test_anchor_on_the_31st_keeps_month_ends_without_drift() -> None:
    # given a monthly schedule anchored on Jan 31
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))
    # then February takes its last day and March goes back to the 31st
    assert dates(rule, 5) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]


def test_anchor_on_the_31st_takes_february_29_in_a_leap_year() -> None:
    rule = ScheduleRule(MONTHLY, anchor=date(2028, 1, 31))
    assert dates(rule, 3) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (date(2026, 1, 30), [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30)]),
        (date(2028, 1, 30), [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30), date(2028, 4, 30)]),
        (date(2026, 1, 29), [date(2026, 1, 29), date(2026, 2, 28), date(2026, 3, 29), date(2026, 4, 29)]),
        (date(2028, 1, 29), [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)]),
    ],
)
def test_anchors_on_the_29th_and_30th_return_to_their_day_after_february(
    anchor: date, expected: list[date]
) -> None:
    assert dates(ScheduleRule(MONTHLY, anchor=anchor), 4) == expected


@pytest.mark.parametrize("anchor_day", [29, 30, 31])
def test_anchor_29_30_31_over_three_years_lands_on_the_anchor_or_the_last_day(anchor_day: int) -> None:
    # given a monthly schedule anchored late in January 2026, over 36 months
    occurrences = dates(ScheduleRule(MONTHLY, anchor=date(2026, 1, anchor_day)), 36)
    # then each month has exactly one date: the anchor day, or the month's last day when shorter
    last_days = {2: (28, 28, 29), 4: (30,) * 3, 6: (30,) * 3, 9: (30,) * 3, 11: (30,) * 3}
    for n, day in enumerate(occurrences):
        assert (day.year, day.month) == (2026 + n // 12, n % 12 + 1)
        short = last_days.get(day.month, (31, 31, 31))[day.year - 2026]
        assert day.day == min(anchor_day, short)


def test_yearly_anchor_on_february_29_falls_back_to_the_28th_and_returns_in_leap_years() -> None:
    # reference/reliability.md T2: 2029 -> Feb 28, 2032 -> Feb 29
    rule = ScheduleRule(YEARLY, anchor=date(2028, 2, 29))
    assert dates(rule, 5) == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_a_late_occurrence_is_computed_from_the_anchor_not_from_the_previous_one() -> None:
    # given anchor Jan 31 and nothing computed before, when asking for cycle 25 (Feb 2028)
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))
    # then it is Feb 29 and the next is Mar 31, not Mar 29 (the naive-chaining drift of T1)
    assert rule.occurrence(25) == date(2028, 2, 29)
    assert rule.occurrence(26) == date(2028, 3, 31)


@pytest.mark.parametrize(
    ("code", "anchor", "expected"),
    [
        ("every_n_days:10", date(2026, 2, 25), [date(2026, 2, 25), date(2026, 3, 7), date(2026, 3, 17)]),
        ("every_n_weeks:3", date(2026, 12, 21), [date(2026, 12, 21), date(2027, 1, 11), date(2027, 2, 1)]),
        ("every_n_months:4", date(2026, 10, 31), [date(2026, 10, 31), date(2027, 2, 28), date(2027, 6, 30)]),
        ("every_2_months", date(2027, 12, 31), [date(2027, 12, 31), date(2028, 2, 29), date(2028, 4, 30)]),
        ("every_6_months", date(2026, 8, 31), [date(2026, 8, 31), date(2027, 2, 28), date(2027, 8, 31)]),
        ("quarterly", date(2026, 11, 30), [date(2026, 11, 30), date(2027, 2, 28), date(2027, 5, 30)]),
        ("every_2_weeks", date(2026, 2, 26), [date(2026, 2, 26), date(2026, 3, 12), date(2026, 3, 26)]),
    ],
)
def test_every_n_variants_step_from_the_anchor(code: str, anchor: date, expected: list[date]) -> None:
    assert dates(ScheduleRule(Frequency.parse(code), anchor=anchor), 3) == expected


def test_a_start_after_the_anchor_begins_at_the_next_anchored_date() -> None:
    # given anchor Jan 31 but a start on Apr 5, then the first cycle is Apr 30 and May keeps the 31st
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31), start=date(2026, 4, 5))
    assert dates(rule, 3) == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]


def test_a_start_before_the_anchor_uses_the_anchor_as_phase() -> None:
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 3, 31), start=date(2026, 1, 10))
    assert dates(rule, 3) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]


# --- Periods, keys and Spanish labels ---


def test_a_monthly_period_runs_to_the_day_before_the_next_cycle_inclusive() -> None:
    # given anchor Jan 31 2026: the period invoiced on Jan 31 covers Jan 31 .. Feb 27
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))
    assert rule.period(0) == Period(date(2026, 1, 31), date(2026, 2, 27), MONTHLY)
    assert rule.period(1).end_exclusive == date(2026, 3, 31)


@pytest.mark.parametrize(
    ("start", "end", "frequency", "key"),
    [
        (date(2026, 11, 1), date(2026, 11, 30), MONTHLY, "2026-11"),
        (date(2026, 11, 15), date(2027, 2, 14), QUARTERLY, "2026-11"),
        (date(2027, 1, 1), date(2027, 12, 31), YEARLY, "2027-01"),
        (date(2026, 11, 16), date(2026, 11, 22), WEEKLY, "2026-11-16"),
        (date(2026, 11, 16), date(2026, 11, 25), Frequency.parse("every_n_days:10"), "2026-11-16"),
    ],
)
def test_period_keys_name_the_month_for_month_cycles_and_the_day_otherwise(
    start: date, end: date, frequency: Frequency, key: str
) -> None:
    assert Period(start, end, frequency).key == key


@pytest.mark.parametrize(
    ("start", "end", "frequency", "label"),
    [
        (date(2026, 11, 1), date(2026, 11, 30), MONTHLY, "noviembre 2026"),
        (date(2026, 9, 15), date(2026, 10, 14), MONTHLY, "septiembre 2026"),
        (date(2026, 11, 1), date(2027, 1, 31), QUARTERLY, "noviembre 2026 – enero 2027"),
        (date(2027, 1, 1), date(2027, 3, 31), QUARTERLY, "enero – marzo 2027"),
        (date(2027, 1, 1), date(2027, 12, 31), YEARLY, "2027"),
        (date(2026, 7, 1), date(2027, 6, 30), YEARLY, "julio 2026 – junio 2027"),
        (date(2027, 1, 1), date(2028, 12, 31), Frequency.parse("every_n_months:24"), "2027 – 2028"),
        (date(2026, 11, 16), date(2026, 11, 22), WEEKLY, "semana del 16 al 22 de noviembre de 2026"),
        (
            date(2026, 11, 30),
            date(2026, 12, 6),
            WEEKLY,
            "semana del 30 de noviembre al 6 de diciembre de 2026",
        ),
        (
            date(2026, 12, 28),
            date(2027, 1, 3),
            WEEKLY,
            "semana del 28 de diciembre de 2026 al 3 de enero de 2027",
        ),
        (
            date(2026, 11, 16),
            date(2026, 11, 29),
            Frequency.parse("every_2_weeks"),
            "del 16 al 29 de noviembre de 2026",
        ),
        (
            date(2026, 11, 16),
            date(2026, 11, 16),
            Frequency.parse("every_n_days:1"),
            "16 de noviembre de 2026",
        ),
    ],
)
def test_period_labels_read_as_spanish_writes_them(
    start: date, end: date, frequency: Frequency, label: str
) -> None:
    assert Period(start, end, frequency).label == label


def test_description_template_fills_every_placeholder_with_lowercase_spanish_names() -> None:
    # given the November 2026 monthly period
    period = ScheduleRule(MONTHLY, anchor=date(2026, 11, 1)).period(0)
    # when rendering a template naming every placeholder
    text = render_description("Mantenimiento {periodo}: {mes} de {año} ({inicio} al {fin}), {anio}", period)
    # then
    assert text == (
        "Mantenimiento noviembre 2026: noviembre de 2026 (1 de noviembre de 2026 al 30 de noviembre de 2026), 2026"
    )


def test_description_template_keeps_text_without_placeholders_and_unescapes_double_braces() -> None:
    period = Period(date(2026, 11, 16), date(2026, 11, 22), WEEKLY)
    assert render_description("Servicio {{fijo}} {periodo}", period) == (
        "Servicio {fijo} semana del 16 al 22 de noviembre de 2026"
    )


@pytest.mark.parametrize(
    "template", ["Renta {mes_siguiente}", "Renta {periodo.__class__}", "Renta {0}", "Renta {}"]
)
def test_description_template_with_an_unknown_placeholder_is_refused_in_spanish(template: str) -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 30), MONTHLY)
    with pytest.raises(ScheduleError) as rendered:
        render_description(template, period)
    with pytest.raises(ScheduleError) as checked:
        check_description_template(template)
    assert rendered.value.code == checked.value.code == "unknown_placeholder"
    assert "{periodo}" in rendered.value.message


# --- Due instants and DST (reference/reliability.md T5/T6) ---


def test_due_at_is_the_issue_time_in_the_schedule_zone_as_utc() -> None:
    # given CDMX (UTC-6 all year since 2022) at the default 06:00
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 11, 1))
    assert rule.due_at(0) == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_an_issue_time_inside_tijuanas_spring_gap_moves_to_the_end_of_the_gap() -> None:
    # given 2026-03-08, when Tijuana jumps 02:00 PST -> 03:00 PDT, and an issue time of 02:30
    due = local_instant(date(2026, 3, 8), time(2, 30), TIJUANA)
    # then it is due at 03:00 PDT, the first instant after the gap
    assert due == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)
    assert due.astimezone(TIJUANA).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 0)


def test_an_issue_time_inside_tijuanas_fall_overlap_takes_the_first_occurrence() -> None:
    # given 2026-11-01, when 01:00-02:00 happens twice (PDT then PST), and an issue time of 01:30
    due = local_instant(date(2026, 11, 1), time(1, 30), TIJUANA)
    # then it is the first 01:30 (PDT, UTC-7)
    assert due == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("anchor", "issue_time", "expected_local"),
    [
        # spring: Mar 8 02:30 does not exist -> 03:00 PDT
        (
            date(2026, 3, 6),
            time(2, 30),
            ["02:30-08:00", "02:30-08:00", "03:00-07:00", "02:30-07:00", "02:30-07:00"],
        ),
        # fall: Nov 1 01:30 happens twice -> the first, PDT
        (
            date(2026, 10, 30),
            time(1, 30),
            ["01:30-07:00", "01:30-07:00", "01:30-07:00", "01:30-08:00", "01:30-08:00"],
        ),
    ],
)
def test_a_daily_schedule_runs_exactly_once_a_day_across_tijuanas_transitions(
    anchor: date, issue_time: time, expected_local: list[str]
) -> None:
    # given a daily schedule in Tijuana with its issue time inside the gap / overlap hour
    schedule = Schedule.of(
        ScheduleRule(
            Frequency.parse("every_n_days:1"),
            anchor=anchor,
            issue_time=issue_time,
            timezone="America/Tijuana",
        )
    )
    # when listing everything due over the five days around the transition
    window_start = datetime.combine(anchor, time(0), TIJUANA)
    due = schedule.due_between(window_start, window_start + timedelta(days=5))
    # then one run per local day, never two and never none
    assert [o.local_date for o in due] == [anchor + timedelta(days=n) for n in range(5)]
    assert [o.due_at.astimezone(TIJUANA).isoformat(timespec="minutes")[11:] for o in due] == expected_local


@pytest.mark.parametrize("code", ["weekly", "every_2_weeks"])
def test_weekly_and_biweekly_keep_local_time_across_dst(code: str) -> None:
    # given a Tijuana schedule on Mondays at 06:00 starting before the March 2026 change
    rule = ScheduleRule(Frequency.parse(code), anchor=date(2026, 2, 23), timezone="America/Tijuana")
    due = [rule.due_at(n) for n in range(4)]
    # then it is 06:00 local every time; the UTC hour moves from 14:00 to 13:00 after Mar 8
    assert {d.astimezone(TIJUANA).time() for d in due} == {time(6, 0)}
    step = rule.frequency.days
    assert [d.hour for d in due] == [14 if date(2026, 2, 23) + timedelta(days=n * step) < date(2026, 3, 8) else 13
                                     for n in range(4)]  # fmt: skip


def test_fixed_offset_zones_have_no_dst_shift() -> None:
    # Cancún is UTC-5 and Hermosillo UTC-7 all year
    cancun = ScheduleRule(MONTHLY, anchor=date(2026, 1, 15), timezone="America/Cancun")
    hermosillo = ScheduleRule(MONTHLY, anchor=date(2026, 1, 15), timezone="America/Hermosillo")
    assert {cancun.due_at(n).hour for n in range(12)} == {11}
    assert {hermosillo.due_at(n).hour for n in range(12)} == {13}


# --- Windows, ends, catch-up ---


def test_due_between_excludes_after_and_includes_until() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 1)))
    first_due = at_cdmx(2026, 1, 1, 6)
    assert [o.index for o in schedule.due_between(first_due, at_cdmx(2026, 3, 1, 6))] == [1, 2]


def test_next_due_is_the_first_cycle_strictly_after_the_instant() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 31)))
    upcoming = schedule.next_due(NOW)
    assert upcoming is not None
    assert (upcoming.index, upcoming.local_date, upcoming.period.key) == (10, date(2026, 11, 30), "2026-11")


def test_an_end_date_includes_a_cycle_on_that_day_and_nothing_after() -> None:
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 15), end=date(2026, 4, 15))
    schedule = Schedule.of(rule)
    assert [o.local_date for o in schedule.due_between(at_cdmx(2025, 1, 1), at_cdmx(2030, 1, 1))] == [
        date(2026, 1, 15), date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15),
    ]  # fmt: skip
    assert schedule.next_due(at_cdmx(2026, 4, 16)) is None


def test_remaining_cycles_count_from_the_first_occurrence() -> None:
    # given a start after the anchor and 3 cycles
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31), start=date(2026, 3, 1), cycles=3)
    schedule = Schedule.of(rule)
    issued = schedule.due_between(at_cdmx(2026, 1, 1), at_cdmx(2030, 1, 1))
    assert [o.local_date for o in issued] == [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    assert schedule.stop == 3
    assert schedule.next_due(at_cdmx(2026, 5, 31, 7)) is None


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ScheduleError) as raised:
        ScheduleRule(MONTHLY, anchor=date(2026, 5, 1), end=date(2026, 4, 1))
    assert raised.value.code == "invalid_end"


def test_missed_lists_each_cycle_due_during_downtime_once() -> None:
    # given a weekly schedule whose cycle 2 was the last issued, and a scheduler down for three weeks
    schedule = Schedule.of(ScheduleRule(WEEKLY, anchor=date(2026, 11, 2)))
    as_of = at_cdmx(2026, 12, 7, 7)
    # when catching up
    missed = schedule.missed(as_of, last_issued_index=2)
    # then cycles 3, 4, 5 come back once each, oldest first
    assert [(o.index, o.local_date) for o in missed] == [
        (3, date(2026, 11, 23)), (4, date(2026, 11, 30)), (5, date(2026, 12, 7)),
    ]  # fmt: skip
    assert [o.index for o in schedule.missed(as_of, last_issued_index=None)] == [0, 1, 2, 3, 4, 5]
    assert schedule.missed(as_of, last_issued_index=5) == []


def test_naive_instants_are_refused() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 1)))
    with pytest.raises(ScheduleError) as raised:
        schedule.next_due(datetime(2026, 1, 1))
    assert raised.value.code == "naive_datetime"


def test_an_unknown_timezone_is_refused_in_spanish() -> None:
    with pytest.raises(ScheduleError) as raised:
        ScheduleRule(MONTHLY, anchor=date(2026, 1, 1), timezone="America/Atlantis")
    assert raised.value.code == "invalid_timezone"
    assert "Zona horaria" in raised.value.message


# --- Skip, pause, resume, change ---


def test_skip_next_omits_one_cycle_and_keeps_the_following_dates() -> None:
    # given a monthly schedule on the 31st, when skipping the next cycle (Nov 30)
    schedule = skip_next(Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))), NOW)
    upcoming = schedule.next_due(NOW)
    # then the next issued one is Dec 31, still on the anchor
    assert upcoming is not None
    assert (upcoming.index, upcoming.local_date) == (11, date(2026, 12, 31))
    assert schedule.skipped == {10}


def test_skip_next_on_a_finished_schedule_is_refused() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 1), cycles=2))
    with pytest.raises(ScheduleError) as raised:
        skip_next(schedule, NOW)
    assert raised.value.code == "nothing_to_skip"


def test_pause_issues_nothing_until_resumed_then_returns_to_the_anchor() -> None:
    # given a monthly schedule on the 31st paused on Dec 1 2026
    schedule = pause(Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))), at_cdmx(2026, 12, 1))
    # then while paused nothing is due, ever
    assert schedule.next_due(NOW + timedelta(days=30)) is None
    assert schedule.due_between(NOW, at_cdmx(2027, 6, 1)) == [schedule.at(10)]  # Nov 30, before the pause
    # when resumed on Mar 10 2027
    schedule = resume(schedule, at_cdmx(2027, 3, 10, 12))
    # then the next cycle is the first on/after the resume, still anchored on the 31st
    upcoming = schedule.next_due(at_cdmx(2026, 12, 1))
    assert upcoming is not None
    assert upcoming.local_date == date(2027, 3, 31)
    assert [o.local_date for o in schedule.due_between(NOW, at_cdmx(2027, 5, 1))] == [
        date(2026, 11, 30), date(2027, 3, 31), date(2027, 4, 30),
    ]  # fmt: skip


def test_a_cycle_due_on_the_resume_instant_is_issued() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 1)))
    schedule = resume(pause(schedule, at_cdmx(2026, 2, 1)), at_cdmx(2026, 4, 1, 6))
    upcoming = schedule.next_due(at_cdmx(2026, 1, 15))
    assert upcoming is not None
    assert upcoming.local_date == date(2026, 4, 1)


def test_pause_twice_or_resume_without_pause_is_refused() -> None:
    schedule = Schedule.of(ScheduleRule(MONTHLY, anchor=date(2026, 1, 1)))
    with pytest.raises(ScheduleError, match="no está en pausa"):
        resume(schedule, NOW)
    with pytest.raises(ScheduleError, match="ya está en pausa"):
        pause(pause(schedule, NOW), NOW + timedelta(days=1))


def test_missed_skips_cycles_that_were_paused_or_skipped() -> None:
    schedule = Schedule.of(ScheduleRule(WEEKLY, anchor=date(2026, 11, 2)))
    schedule = skip(resume(pause(schedule, at_cdmx(2026, 11, 8)), at_cdmx(2026, 11, 20)), 4)
    missed = schedule.missed(at_cdmx(2026, 12, 8), last_issued_index=None)
    assert [o.local_date for o in missed] == [date(2026, 11, 2), date(2026, 11, 23), date(2026, 12, 7)]


def test_a_change_with_the_same_calendar_keeps_every_date() -> None:
    # given a price change from the next cycle on (same rule), then dates and keys do not move
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31))
    changed = change_from_next(Schedule.of(rule), NOW, rule)
    assert [v.effective_from for v in changed.versions] == [0, 10]
    assert [changed.occurrence(n) for n in range(8, 16)] == [rule.occurrence(n) for n in range(8, 16)]


def test_a_frequency_change_starts_when_the_old_next_cycle_would_have() -> None:
    # given monthly on the 1st, when switching to quarterly anchored Nov 1 from cycle 10 (Nov 2026)
    old = ScheduleRule(MONTHLY, anchor=date(2026, 1, 1))
    schedule = change_from(Schedule.of(old), 10, ScheduleRule(QUARTERLY, anchor=date(2026, 11, 1)))
    # then cycle 10 is Nov 1 (quarter Nov-Jan) and cycle 11 is Feb 1
    assert [schedule.occurrence(n) for n in (9, 10, 11)] == [
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2027, 2, 1),
    ]
    assert schedule.at(10).period.label == "noviembre 2026 – enero 2027"


def test_the_new_rules_anchor_decides_the_phase_after_a_change() -> None:
    # given monthly on the 1st, when switching from cycle 10 to quarterly anchored on Jan 1 (Jan/Apr/Jul/Oct)
    old = ScheduleRule(MONTHLY, anchor=date(2026, 1, 1))
    schedule = change_from(Schedule.of(old), 10, ScheduleRule(QUARTERLY, anchor=date(2026, 1, 1)))
    # then the first quarterly cycle is the first quarter start on/after Nov 1, never earlier
    assert [schedule.occurrence(n) for n in (9, 10, 11)] == [
        date(2026, 10, 1),
        date(2027, 1, 1),
        date(2027, 4, 1),
    ]


def test_a_new_anchor_in_the_same_month_never_bills_that_month_twice() -> None:
    # given monthly on the 1st, cycle 2 billed on Mar 1; when the anchor moves to the 31st from cycle 3
    old = ScheduleRule(MONTHLY, anchor=date(2026, 1, 1))
    schedule = change_from(Schedule.of(old), 3, ScheduleRule(MONTHLY, anchor=date(2026, 1, 31)))
    keys = [schedule.at(n).period.key for n in range(6)]
    # then April's 30th is the first new cycle (on/after Apr 1, the old next cycle) and keys stay unique
    assert schedule.occurrence(3) == date(2026, 4, 30)
    assert keys == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def test_a_zone_change_never_makes_a_cycle_due_before_the_previous_one() -> None:
    # given a daily schedule at 23:59 in Pago Pago (UTC-11), moved from cycle 3 to 00:00 in Kiritimati (UTC+14)
    daily = Frequency.parse("every_n_days:1")
    old = ScheduleRule(daily, anchor=date(2026, 3, 1), issue_time=time(23, 59), timezone="Pacific/Pago_Pago")
    new = ScheduleRule(daily, anchor=date(2026, 3, 1), issue_time=time(0, 0), timezone="Pacific/Kiritimati")
    schedule = change_from(Schedule.of(old), 3, new)
    # then the first new cycle is the first one due after the last old one (Mar 6 00:00 +14 = Mar 5 10:00Z)
    assert schedule.due_at(2) == datetime(2026, 3, 4, 10, 59, tzinfo=UTC)
    assert schedule.occurrence(3) == date(2026, 3, 6)
    assert schedule.due_at(3) > schedule.due_at(2)


def test_renewing_a_finished_contract_from_its_end_extends_it() -> None:
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 31), cycles=12)
    schedule = change_from(Schedule.of(rule), 12, replace(rule, cycles=24))
    assert schedule.stop == 24
    assert schedule.occurrence(13) == date(2027, 2, 28)


def test_a_later_change_before_it_takes_effect_replaces_the_pending_one() -> None:
    rule = ScheduleRule(MONTHLY, anchor=date(2026, 1, 1))
    schedule = change_from(change_from(Schedule.of(rule), 10, replace(rule, cycles=11)), 10, rule)
    assert [v.effective_from for v in schedule.versions] == [0, 10]
    assert schedule.stop is None


# --- Simulation ---


def test_simulate_lists_every_schedules_runs_in_due_order_without_issuing() -> None:
    # given a monthly CDMX schedule and a weekly Tijuana one
    schedules = {
        "renta": ScheduleRule(MONTHLY, anchor=date(2026, 1, 31)),
        "gym": Schedule.of(ScheduleRule(WEEKLY, anchor=date(2026, 11, 23), timezone="America/Tijuana")),
    }
    # when simulating from now to the end of the year
    runs = simulate(schedules, at_cdmx(2026, 12, 31, 23), after=NOW)
    # then
    assert [(r.schedule_id, r.period.key) for r in runs] == [
        ("gym", "2026-11-23"), ("renta", "2026-11"), ("gym", "2026-11-30"), ("gym", "2026-12-07"),
        ("gym", "2026-12-14"), ("gym", "2026-12-21"), ("gym", "2026-12-28"), ("renta", "2026-12"),
    ]  # fmt: skip
    assert [r.due_at for r in runs] == sorted(r.due_at for r in runs)


def test_simulate_without_after_starts_at_each_first_cycle() -> None:
    schedules = {1: ScheduleRule(MONTHLY, anchor=date(2026, 1, 15), cycles=3)}
    runs = simulate(schedules, at_cdmx(2027, 1, 1))
    assert [(r.index, r.period.label) for r in runs] == [
        (0, "enero 2026"),
        (1, "febrero 2026"),
        (2, "marzo 2026"),
    ]
