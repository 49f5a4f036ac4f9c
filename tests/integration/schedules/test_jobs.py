"""The schedule jobs: thin, registered, idempotent (queue in immediate mode in tests)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.schedules.conftest import at, make_schedule
from timbra import jobs
from timbra.invoicing.models import Invoice
from timbra.jobs import tasks

pytestmark = pytest.mark.django_db


def test_the_schedule_jobs_are_registered_by_name():
    assert {"schedules.issue", "schedules.issue_due"} <= set(tasks.REGISTRY)


def test_the_periodic_job_issues_what_is_due_now_and_is_idempotent(org, customer):
    # given a schedule due today at 06:00 (the clock is frozen at 10:00)
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20))
    # when the five-minute job fires twice
    tasks.issue_due_job()
    tasks.issue_due_job()
    # then one invoice for November
    assert list(Invoice.objects.values_list("source_id", flat=True)) == [f"{schedule.pk}:2026-11"]


def test_the_on_demand_job_takes_a_schedule_id(org, customer):
    wanted = make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20))
    other = make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20))
    jobs.enqueue("schedules.issue", schedule_id=wanted.pk)
    assert Invoice.objects.filter(source_id__startswith=f"{wanted.pk}:").count() == 1
    assert not Invoice.objects.filter(source_id__startswith=f"{other.pk}:").exists()
