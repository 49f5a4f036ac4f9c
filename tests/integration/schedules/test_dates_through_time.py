"""The issuer driven through simulated time: month ends, DST nights, remaining cycles, backdated starts."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import MX
from tests.integration.schedules.conftest import at, instants, make_schedule, refreshed, run_daily
from timbra.invoicing.models import Invoice
from timbra.schedules.models import Schedule, ScheduleRun
from timbra.schedules.services.issue import issue_due_invoices

pytestmark = pytest.mark.django_db

TIJUANA = ZoneInfo("America/Tijuana")


def issued_days(schedule: Schedule, tz: ZoneInfo = MX) -> list[date]:
    """The local day each invoice of `schedule` was created, in order."""
    invoices = Invoice.objects.filter(source="schedule", source_id__startswith=f"{schedule.pk}:").order_by("pk")
    return [i.created_at.astimezone(tz).date() for i in invoices]


def test_month_end_anchors_issue_on_the_right_day_through_a_simulated_year(org, customer):
    # given monthly schedules anchored on the 31st, 30th and 29th, and a leap-day yearly one (2028 is leap)
    created = at(2026, 11, 20, 10)
    on_31 = make_schedule(org, customer, as_of=created, anchor_date=date(2026, 1, 31))
    on_30 = make_schedule(org, customer, as_of=created, anchor_date=date(2026, 1, 30))
    on_29 = make_schedule(org, customer, as_of=created, anchor_date=date(2026, 1, 29))
    # when the issuer runs every morning for a year
    run_daily(created, at(2027, 11, 20, 10))
    # then each invoice went out on the anchor day, or the month's last day when shorter, never drifting
    assert issued_days(on_31) == [
        date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31),
        date(2027, 4, 30), date(2027, 5, 31), date(2027, 6, 30), date(2027, 7, 31), date(2027, 8, 31),
        date(2027, 9, 30), date(2027, 10, 31),
    ]  # fmt: skip
    assert issued_days(on_30) == [date(2026, 11, 30), date(2026, 12, 30), date(2027, 1, 30), date(2027, 2, 28),
                                  *[date(2027, m, 30) for m in range(3, 11)]]
    assert issued_days(on_29)[:5] == [date(2026, 11, 29), date(2026, 12, 29), date(2027, 1, 29),
                                      date(2027, 2, 28), date(2027, 3, 29)]
    # and every period was invoiced once, with its month named in the description
    keys = list(ScheduleRun.objects.filter(schedule=on_31).values_list("period_key", flat=True))
    assert keys == [f"2026-{m}" for m in (11, 12)] + [f"2027-{m:02d}" for m in range(1, 11)]
    february = Invoice.objects.get(source_id=f"{on_31.pk}:2027-02")
    assert february.lines.get().descripcion == "Mantenimiento febrero 2027"


def test_a_leap_day_yearly_anchor_issues_on_february_28_in_common_years(org, customer):
    # given a yearly schedule anchored on Feb 29 2028 that started in 2027 (first cycle Feb 28 2027)
    schedule = make_schedule(org, customer, as_of=at(2027, 2, 1), frequency="yearly",
                             anchor_date=date(2028, 2, 29), start_date=date(2027, 2, 1))
    # when the issuer runs daily over two years
    run_daily(at(2027, 2, 1), at(2029, 3, 5))
    # then Feb 28 2027, Feb 29 2028, Feb 28 2029
    assert issued_days(schedule) == [date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]


@pytest.mark.parametrize(
    ("first_day", "issue_time"),
    [(date(2026, 3, 6), time(2, 30)),  # Mar 8 02:30 does not exist in Tijuana (02:00 -> 03:00)
     (date(2026, 10, 30), time(1, 30))],  # Nov 1 01:30 happens twice (PDT, then PST)
)
def test_a_tijuana_daily_schedule_issues_once_a_day_across_dst_nights(org, customer, first_day, issue_time):
    # given a daily schedule in Tijuana whose issue time falls in the gap or the overlap
    created = at(first_day.year, first_day.month, first_day.day)
    schedule = make_schedule(org, customer, as_of=created, frequency="every_n_days:1", anchor_date=first_day,
                             start_date=first_day, issue_time=issue_time, timezone="America/Tijuana")
    # when the issuer runs every 15 minutes for five days
    for moment in instants(created, created + timedelta(days=5), timedelta(minutes=15)):
        issue_due_invoices(as_of=moment)
    # then exactly one invoice per local day: never two, never none
    assert issued_days(schedule, TIJUANA) == [first_day + timedelta(days=n) for n in range(5)]


def test_remaining_cycles_end_the_schedule_after_its_last_period(org, customer):
    # given a monthly schedule for 3 cycles from Dec 1
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1), cycles=3)
    # when the issuer runs until just before the third period ends
    run_daily(at(2026, 11, 20), at(2027, 2, 27))
    # then three invoices; still active (its last period, February, is running) with 0 cycles left
    assert issued_days(schedule) == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    schedule = refreshed(schedule)
    assert schedule.status == Schedule.ACTIVE and schedule.cycles == 3
    # when February ends
    issue_due_invoices(as_of=at(2027, 3, 1, 0, 5))
    # then it is ended, says so in its history, and issues nothing more
    schedule = refreshed(schedule)
    assert schedule.status == Schedule.ENDED and schedule.next_due_at is None
    assert schedule.changes.filter(kind="ended").count() == 1
    run_daily(at(2027, 3, 1), at(2027, 6, 1))
    assert len(issued_days(schedule)) == 3


def test_a_backdated_start_issues_each_past_period_once_on_activation(org, customer):
    # given a monthly schedule created on Nov 20 starting Sep 1 (a forgotten contract)
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 9, 1),
                             start_date=date(2026, 9, 1))
    # when the issuer runs now, and again
    first = issue_due_invoices(as_of=at(2026, 11, 20, 10, 1))
    again = issue_due_invoices(as_of=at(2026, 11, 20, 10, 6))
    # then September, October and November, once each, and the late ones say so in the history
    assert (first.issued, again.issued) == (3, 0)
    assert sorted(ScheduleRun.objects.filter(schedule=schedule).values_list("period_key", flat=True)) == [
        "2026-09", "2026-10", "2026-11"]
    assert schedule.changes.filter(kind="issued_late").count() == 3
    assert refreshed(schedule).next_due_at == at(2026, 12, 1, 6)


def test_a_start_more_than_a_quarter_back_is_refused_in_spanish(org, customer):
    from timbra.invoicing.errors import InvoicingError

    with pytest.raises(InvoicingError) as refused:
        make_schedule(org, customer, as_of=at(2026, 11, 20, 10), start_date=date(2026, 6, 1))
    assert refused.value.code == "start_too_early" and "92 días" in refused.value.message
