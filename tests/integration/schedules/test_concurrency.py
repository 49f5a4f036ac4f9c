"""Two schedulers racing on the same due periods (reliability.md F14): one invoice per period.

Real threads with their own database connections, on SQLite (WAL, IMMEDIATE) and, with
DATABASE_URL=postgresql://…, on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest

from tests.concurrency import race as shared_race
from tests.integration.schedules.conftest import at, make_schedule
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.schedules.models import ScheduleChange, ScheduleRun
from timbra.schedules.services.issue import IssueReport, issue_due_invoices

pytestmark = pytest.mark.django_db(transaction=True)


def race(target, n: int = 2) -> tuple[list[object], list[BaseException]]:
    return shared_race(*[target] * n)

def test_two_schedulers_racing_issue_each_period_exactly_once(org, customer: Customer, no_jobs):
    # given six schedules, each owing two periods (Nov 30 and Dec 31 anchored on the 31st; Dec 1 and Jan 1 …)
    schedules = [
        make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 1, 31 - k))
        for k in range(6)
    ]
    # when two schedulers run the same pass at the same instant
    results, errors = race(lambda: issue_due_invoices(as_of=at(2027, 1, 1, 7)))
    # then no error, and every (schedule, period) has exactly one invoice, one run, one history row
    assert errors == []
    assert all(not r.failed for r in results if isinstance(r, IssueReport))
    source_ids = list(Invoice.objects.values_list("source_id", flat=True))
    assert len(source_ids) == 12 and not [k for k, n in Counter(source_ids).items() if n > 1]
    assert ScheduleRun.objects.count() == 12
    assert ScheduleChange.objects.filter(kind__startswith="issued").count() == 12
    assert sum(r.issued for r in results if isinstance(r, IssueReport)) == 12
    # and the losing racer's folio rolled back with its insert: A-1..A-12, no gap, no repeat
    folios = sorted(int(f) for f in Invoice.objects.values_list("folio", flat=True))
    assert folios == list(range(1, 13))
    for schedule in schedules:
        schedule.refresh_from_db()
        assert schedule.next_index == 2


def test_four_schedulers_with_staggered_clocks_never_duplicate(org, customer: Customer, no_jobs):
    # given a weekly schedule owing five weeks
    make_schedule(org, customer, as_of=at(2026, 11, 1), frequency="weekly", anchor_date=date(2026, 11, 2))
    instants = iter([at(2026, 12, 1, 7), at(2026, 12, 1, 7, 1), at(2026, 12, 1, 7, 2), at(2026, 12, 1, 7, 3)])
    lock = threading.Lock()

    def next_pass() -> IssueReport:
        with lock:
            as_of = next(instants)
        return issue_due_invoices(as_of=as_of)

    # when four runners race
    _, errors = race(next_pass, n=4)
    # then five invoices, one per week
    assert errors == []
    keys = sorted(Invoice.objects.values_list("source_id", flat=True))
    assert [k.split(":")[1] for k in keys] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]
