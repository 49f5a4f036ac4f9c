"""Poison work is held, not retried forever, and never starves the sweeper (issue 14 §1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_invoice
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import actions, process, sweep
from timbra.invoicing.models import Invoice
from timbra.invoicing.poison import MAX_JOB_FAILURES, POISON_CODE
from timbra.jobs import tasks

pytestmark = pytest.mark.django_db


def _crash(*args, **kwargs):
    raise TypeError("dato que ninguna regla previó")


def test_a_draft_whose_job_fails_unexpectedly_n_times_is_held_with_a_spanish_reason(org, customer, product,
                                                                                     monkeypatch):
    # given a draft whose sealing always crashes
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    invoice = make_invoice(org, customer, product=product)
    monkeypatch.setattr(process, "seal", _crash)
    # when its job runs N times
    for _ in range(MAX_JOB_FAILURES):
        with pytest.raises(TypeError):
            tasks.process_invoice_job.call_local(invoice.pk)
    # then it is held, says why in Spanish, and the sweeper no longer re-queues it
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD and invoice.hold_code == POISON_CODE
    assert f"falló {MAX_JOB_FAILURES} veces" in invoice.hold_message and "TypeError" in invoice.hold_message
    later = invoice.status_changed_at + timedelta(hours=1)
    assert sweep.sweep_stuck_work(as_of=later) == {"draft": 0, "sealed": 0, "stamped": 0, "cancelling": 0,
                                                   "substituted": 0}
    # and once fixed, "Reintentar" sends it again with a clean count
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda *a, **k: None)
    actions.retry_invoice(invoice, actor="ana", as_of=later)
    assert Invoice.objects.get(pk=invoice.pk).job_failures == 0


def test_a_stamped_invoice_whose_delivery_keeps_crashing_leaves_the_sweep_with_its_reason(org, customer, product,
                                                                                          monkeypatch):
    from timbra.delivery import services as delivery_services

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    monkeypatch.setattr(delivery_services, "render_pdf_for", _crash)
    monkeypatch.setattr(delivery_services, "render_documents", _crash)
    invoice = make_invoice(org, customer, product=product)
    stamped = process.process_invoice(invoice.pk, as_of=invoice.created_at)  # failure 1 (inline delivery)
    assert stamped.status == InvoiceStatus.STAMPED
    for _ in range(MAX_JOB_FAILURES - 1):
        with pytest.raises(TypeError):
            tasks.deliver_invoice_job.call_local(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.STAMPED and invoice.hold_code == POISON_CODE
    assert invoice.events.filter(kind="job_poisoned").exists()
    assert sweep.sweep_stuck_work(as_of=invoice.created_at + timedelta(hours=1))["stamped"] == 0


def test_poisoned_drafts_never_starve_the_recovery_of_a_healthy_one(org, customer, product, monkeypatch):
    # given more poisoned drafts than one sweep takes, all older than a healthy lost draft
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    monkeypatch.setattr(sweep, "BATCH", 2)
    poisoned = [make_invoice(org, customer, product=product) for _ in range(3)]
    Invoice.objects.filter(pk__in=[i.pk for i in poisoned]).update(job_failures=MAX_JOB_FAILURES)
    healthy = make_invoice(org, customer, product=product)
    Invoice.objects.filter(pk=healthy.pk).update(status_changed_at=healthy.created_at + timedelta(seconds=1))
    queued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: queued.append(kw["invoice_id"]))
    # when the sweeper runs
    counts = sweep.sweep_stuck_work(as_of=healthy.created_at + timedelta(minutes=5))
    # then the healthy draft is re-queued
    assert counts["draft"] == 1 and queued == [healthy.pk]


def test_the_sweeper_takes_the_oldest_drafts_first(org, customer, product, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    monkeypatch.setattr(sweep, "BATCH", 1)
    newer, older = make_invoice(org, customer, product=product), make_invoice(org, customer, product=product)
    Invoice.objects.filter(pk=older.pk).update(status_changed_at=older.created_at - timedelta(minutes=10))
    queued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: queued.append(kw["invoice_id"]))

    sweep.sweep_stuck_work(as_of=newer.created_at + timedelta(minutes=5))

    assert queued == [older.pk]
