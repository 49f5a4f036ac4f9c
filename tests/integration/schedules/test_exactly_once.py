"""Exactly one invoice per schedule and period: re-runs, crashes, downtime (reliability.md F14/F15)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.integration.schedules.conftest import at, line, make_schedule, refreshed
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.schedules.models import ScheduleRun
from timbra.schedules.services import issue as issue_module
from timbra.schedules.services.issue import issue_due_invoices

pytestmark = pytest.mark.django_db


def schedule_invoices(schedule) -> list[Invoice]:
    return list(Invoice.objects.filter(source="schedule", source_id__startswith=f"{schedule.pk}:").order_by("pk"))


def test_running_the_issuer_twice_at_the_same_instant_issues_once(org, customer):
    # given a schedule due Dec 1 06:00
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1))
    # when the job runs twice at the same instant (a repeated job, a backlog re-enqueue)
    first = issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    second = issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    # then one invoice, one run, one history row; the second pass found nothing owed
    assert (first.issued, second.issued, second.schedules) == (1, 0, 0)
    assert [i.source_id for i in schedule_invoices(schedule)] == [f"{schedule.pk}:2026-12"]
    assert ScheduleRun.objects.filter(schedule=schedule).count() == 1
    assert schedule.changes.filter(kind="issued").count() == 1


def test_a_stale_cursor_finds_the_existing_invoice_instead_of_a_second_one(org, customer):
    # given a period already issued, and a runner that read the schedule before the cursor moved
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1))
    stale = refreshed(schedule)
    issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    # when the stale runner issues what it believes is owed
    report = issue_module.IssueReport()
    issue_module._issue(stale, as_of=at(2026, 12, 1, 6, 5), report=report)
    # then the unique business key returned the same invoice: nothing new, folio A-1 only
    assert report.issued == 0
    assert [i.serie_folio for i in schedule_invoices(schedule)] == ["A-1"]


def test_a_crash_between_create_and_cursor_advance_heals_on_the_next_run(org, customer, monkeypatch):
    # given a due schedule, and a crash right after the invoice is created (before its run and cursor)
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1))

    def crash(*args, **kwargs):
        raise RuntimeError("proceso terminado")

    with monkeypatch.context() as patch:
        patch.setattr(issue_module, "_record_run", crash)
        crashed = issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    assert schedule.pk in crashed.failed
    assert len(schedule_invoices(schedule)) == 1 and not ScheduleRun.objects.exists()
    assert refreshed(schedule).next_index == 0  # the cursor did not move
    # when the next pass (a restart) runs
    healed = issue_due_invoices(as_of=at(2026, 12, 1, 6, 10))
    # then the same invoice is recorded, the cursor advances, and no second invoice or folio exists
    assert healed.issued == 1
    invoices = schedule_invoices(schedule)
    assert [i.serie_folio for i in invoices] == ["A-1"]
    assert ScheduleRun.objects.get(schedule=schedule).invoice == invoices[0]
    assert refreshed(schedule).next_index == 1
    assert refreshed(schedule).next_due_at == at(2027, 1, 1, 6)


def test_after_downtime_each_missed_period_is_issued_once_and_dated_now(
    org, customer, django_capture_on_commit_callbacks
):
    # given a weekly schedule whose first week was issued on Oct 26, then three weeks of downtime
    schedule = make_schedule(org, customer, as_of=at(2026, 10, 21), frequency="weekly",
                             anchor_date=date(2026, 10, 26))
    issue_due_invoices(as_of=at(2026, 10, 26, 7))
    # when the scheduler comes back on Nov 20 10:00 (now) and the pipeline runs
    with django_capture_on_commit_callbacks(execute=True):
        report = issue_due_invoices(as_of=at(2026, 11, 20, 10))
    again = issue_due_invoices(as_of=at(2026, 11, 20, 10, 5))
    # then Nov 2, 9 and 16 are issued once each, oldest first, and nothing twice
    assert (report.issued, again.issued) == (3, 0)
    keys = [i.source_id.split(":")[1] for i in schedule_invoices(schedule)]
    assert keys == ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16"]
    # and each CFDI's Fecha is the issue time (inside the SAT's 72 hours), so the PAC stamped them
    late = schedule_invoices(schedule)[1:]
    assert {i.status for i in late} == {InvoiceStatus.DELIVERED}
    assert {i.fecha for i in late} == {"2026-11-20T10:00:00"}
    # and the history says how late each one was and why its date is today
    messages = list(schedule.changes.filter(kind="issued_late").values_list("message", flat=True))
    assert len(messages) == 3
    assert "18 días y 4 horas de retraso" in messages[0]
    assert "Fecha del CFDI sea cuando se genera" in messages[0]
    assert "semana del 2 al 8 de noviembre de 2026" in schedule_invoices(schedule)[1].lines.get().descripcion


def test_a_schedule_that_cannot_be_invoiced_keeps_its_cycle_and_says_why_once(org, customer, product):
    # given a schedule whose product line is fine at creation
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1),
                             lines=(line(product.pk),))
    # when the product later loses its unit key (edited outside the service), so the invoice cannot be built
    type(product).objects.filter(pk=product.pk).update(clave_unidad="")
    first = issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    second = issue_due_invoices(as_of=at(2026, 12, 1, 6, 10))
    # then nothing is issued, the cycle stays owed, and the history explains it once
    assert schedule.pk in first.failed and schedule.pk in second.failed
    assert schedule_invoices(schedule) == [] and refreshed(schedule).next_index == 0
    failures = schedule.changes.filter(kind="issue_failed")
    assert failures.count() == 1 and "clave_unidad" in failures.get().message
    # when the product is fixed, then the owed cycle goes out (late) on the next pass
    type(product).objects.filter(pk=product.pk).update(clave_unidad="E48")
    assert issue_due_invoices(as_of=at(2026, 12, 1, 6, 15)).issued == 1
    assert refreshed(schedule).last_error == ""
