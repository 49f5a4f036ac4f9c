"""Read queries for plans and schedules, and the future: previews, upcoming invoices, MRR.

Always scoped to one org and mode (except `simulate`, the operator's CLI). Nothing here writes.
Hooks for the notices, digest and dashboard work: `upcoming(org, days)`, `next_invoice`, `mrr`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from timbra.domain.money import round_amount
from timbra.domain.periods import Unit
from timbra.domain.schedule_dates import Occurrence
from timbra.orgs.models import Org
from timbra.schedules.calendar import calendar_of, next_issuable
from timbra.schedules.models import Plan, Schedule, ScheduleChange, ScheduleRun
from timbra.schedules.preview import Estimator, PreviewInvoice

LIVE_STATUSES = (Schedule.ACTIVE, Schedule.PAUSED)  # the ones that may still issue


def plans_for(org: Org, *, livemode: bool) -> QuerySet[Plan]:
    return Plan.objects.filter(org=org, livemode=livemode).order_by("-created_at", "-pk")


def get_plan(org: Org, plan_id: int, *, livemode: bool) -> Plan | None:
    return plans_for(org, livemode=livemode).filter(pk=plan_id).first()


def schedules_for(org: Org, *, livemode: bool) -> QuerySet[Schedule]:
    return (Schedule.objects.filter(org=org, livemode=livemode).select_related("org", "customer", "plan")
            .order_by("-created_at", "-pk"))


def get_schedule(org: Org, schedule_id: int, *, livemode: bool) -> Schedule | None:
    return schedules_for(org, livemode=livemode).filter(pk=schedule_id).first()


def history(schedule: Schedule) -> QuerySet[ScheduleChange]:
    """The schedule's changes and issued periods, oldest first."""
    return ScheduleChange.objects.filter(schedule=schedule).order_by("at", "pk")


def runs(schedule: Schedule, *, limit: int = 24) -> list[ScheduleRun]:
    """The latest issued cycles with their invoices, newest first."""
    return list(ScheduleRun.objects.filter(schedule=schedule).select_related("invoice").order_by("-index")[:limit])


def next_invoice(schedule: Schedule, *, as_of: datetime, estimator: Estimator | None = None) -> PreviewInvoice | None:
    """The next invoice the schedule will issue (possibly already due, waiting for the issuer)."""
    if schedule.status not in LIVE_STATUSES:
        return None
    upcoming = next_issuable(calendar_of(schedule), schedule.next_index)
    if upcoming is None:
        return None
    return (estimator or Estimator(as_of=as_of)).estimate(schedule, upcoming)


def cycles_until(schedule: Schedule, until: date) -> list[Occurrence]:
    """Every cycle the issuer will issue from its cursor whose local date is on or before `until`."""
    if schedule.status not in LIVE_STATUSES:
        return []
    # An instant after `until` ends in every zone on Earth; then cut by each cycle's local date.
    horizon = datetime.combine(until + timedelta(days=2), time.min, UTC)
    last = schedule.next_index - 1 if schedule.next_index > 0 else None
    return [o for o in calendar_of(schedule).missed(horizon, last) if o.local_date <= until]


def _previews(schedules: Iterable[Schedule], until: date, *, as_of: datetime) -> list[PreviewInvoice]:
    estimator = Estimator(as_of=as_of)
    items = [estimator.estimate(s, o) for s in schedules for o in cycles_until(s, until)]
    items.sort(key=attrgetter("due_at", "schedule_id"))
    return items


def preview(org: Org, until: date, *, livemode: bool, as_of: datetime) -> list[PreviewInvoice]:
    """Every invoice the org's schedules would issue up to `until` (inclusive), oldest first,
    without issuing anything. Includes cycles already due that the issuer has not reached yet."""
    return _previews(schedules_for(org, livemode=livemode).filter(status__in=LIVE_STATUSES), until, as_of=as_of)


def upcoming(org: Org, days: int, *, livemode: bool, as_of: datetime) -> list[PreviewInvoice]:
    """The invoices due in the next `days` days (org's calendar), e.g. for the weekly digest."""
    today = as_of.astimezone(ZoneInfo(org.timezone)).date()
    return preview(org, today + timedelta(days=days), livemode=livemode, as_of=as_of)


def simulate(until: date, *, as_of: datetime, org_id: int | None = None) -> list[PreviewInvoice]:
    """`timbra simulate`: every org's (or one org's) schedules, both modes."""
    rows = Schedule.objects.filter(status__in=LIVE_STATUSES).select_related("org", "customer", "plan")
    if org_id is not None:
        rows = rows.filter(org_id=org_id)
    return _previews(rows.order_by("pk").iterator(chunk_size=500), until, as_of=as_of)


@dataclass(frozen=True)
class Mrr:
    """Monthly recurring revenue: each active schedule's next invoice before taxes (subtotal
    minus discounts), normalised to a month. MXN is the headline; other currencies are listed
    apart, never converted (the exchange rate of a future invoice is unknown)."""

    mxn: Decimal
    schedules: int
    by_currency: dict[str, Decimal] = field(default_factory=dict)
    failed: list[int] = field(default_factory=list)  # schedules whose next invoice cannot be computed


# Months per cycle for day- and week-based frequencies: a year is 365.25 days (leap years).
_DAYS_PER_MONTH = Decimal("365.25") / 12


def monthly_factor(unit: Unit, count: int) -> Decimal:
    """How many cycles fit in an average month: monthly 1, quarterly 1/3, weekly 4.348..."""
    if unit is Unit.MONTH:
        return Decimal(1) / count
    days = count * (7 if unit is Unit.WEEK else 1)
    return _DAYS_PER_MONTH / days


def mrr(org: Org, *, livemode: bool, as_of: datetime) -> Mrr:
    """MRR of the org's active schedules (not paused, not cancelling at period end)."""
    estimator = Estimator(as_of=as_of)
    totals: dict[str, Decimal] = {}
    counted, failed = 0, []
    rows = schedules_for(org, livemode=livemode).filter(status=Schedule.ACTIVE, cancel_at_period_end=False)
    for schedule in rows:
        calendar = calendar_of(schedule)
        upcoming = next_issuable(calendar, schedule.next_index)
        if upcoming is None:
            continue
        invoice = estimator.estimate(schedule, upcoming)
        if invoice.error_code:
            failed.append(schedule.pk)
            continue
        frequency = calendar.rule_for(upcoming.index).frequency
        monthly = (invoice.subtotal - invoice.descuento) * monthly_factor(frequency.unit, frequency.count)
        totals[invoice.moneda] = totals.get(invoice.moneda, Decimal(0)) + monthly
        counted += 1
    rounded = {moneda: round_amount(amount) for moneda, amount in sorted(totals.items())}
    return Mrr(mxn=rounded.get("MXN", Decimal("0.00")), schedules=counted,
               by_currency={k: v for k, v in rounded.items() if k != "MXN"}, failed=failed)
