"""Property: whatever instants the issuer runs at (late, repeated, out of order, as stale runners
do), the periods issued are exactly the engine's due cycles, each once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.schedules.conftest import at, make_schedule
from timbra.domain.periods import Frequency
from timbra.domain.schedule_dates import Schedule as Calendar
from timbra.domain.schedule_dates import ScheduleRule
from timbra.invoicing.models import Invoice
from timbra.schedules.services.issue import issue_due_invoices

pytestmark = pytest.mark.django_db

BASE = at(2026, 11, 20, 10)
HORIZON_HOURS = 120 * 24


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from(["weekly", "every_2_weeks", "monthly", "every_n_days:3", "quarterly"]),
    anchor_day=st.sampled_from([1, 15, 28, 29, 30, 31]),
    runs=st.lists(st.integers(0, HORIZON_HOURS), min_size=1, max_size=10),
)
def test_any_order_of_passes_issues_every_due_period_once(org, customer, code, anchor_day, runs):
    # given a fresh schedule anchored late or early in a month
    anchor = date(2026, 12, min(anchor_day, 31))
    schedule = make_schedule(org, customer, as_of=BASE, frequency=code, anchor_date=anchor)
    # when the issuer runs at arbitrary instants, in arbitrary order, then once at the horizon
    for hours in [*runs, HORIZON_HOURS]:
        issue_due_invoices(as_of=BASE + timedelta(hours=hours), schedule_ids=[schedule.pk])
    # then the issued period keys are the engine's due cycles up to the horizon, each exactly once
    keys = [s.split(":")[1] for s in Invoice.objects.filter(source_id__startswith=f"{schedule.pk}:")
            .values_list("source_id", flat=True)]
    engine = Calendar.of(ScheduleRule(Frequency.parse(code), anchor=anchor, start=BASE.date()))
    expected = [o.period.key for o in engine.missed(BASE + timedelta(hours=HORIZON_HOURS), None)]
    assert sorted(keys) == sorted(expected) and max(Counter(keys).values(), default=1) == 1
