"""Jobs may be lost (Huey deletes a task when a worker takes it); the sweeper finds the work again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_invoice
from timbra import jobs
from timbra.cfdi.pac_faults import Fault, FaultyPac
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.process import process_invoice
from timbra.invoicing.sweep import sweep_stuck_work

pytestmark = pytest.mark.django_db


def test_a_draft_whose_job_was_lost_is_issued_by_the_sweeper(org, customer, product, monkeypatch):
    # given a draft whose "invoicing.process" job vanished
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "enqueue", lambda *a, **k: None)
        invoice = make_invoice(org, customer, product=product)
    # when the sweeper runs too early, nothing happens; later it re-enqueues (immediate queue in tests)
    assert not any(sweep_stuck_work(as_of=invoice.created_at).values())
    counts = sweep_stuck_work(as_of=invoice.created_at + timedelta(minutes=5))
    # then
    invoice.refresh_from_db()
    assert counts["draft"] == 1
    assert invoice.status == InvoiceStatus.DELIVERED


def test_a_sealed_invoice_waiting_for_the_pac_is_retried_only_when_due(org, customer, product, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    invoice = make_invoice(org, customer, product=product)
    with pacs.override(FaultyPac(pacs.sandbox_pac(), [Fault.UNAVAILABLE])):
        sealed = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert sealed.status == InvoiceStatus.SEALED
    queued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: queued.append(kw["invoice_id"]))
    # before its retry time it is left alone even if stale
    assert sweep_stuck_work(as_of=sealed.next_attempt_at - timedelta(seconds=1))["sealed"] == 0
    assert sweep_stuck_work(as_of=sealed.next_attempt_at + timedelta(minutes=3))["sealed"] == 1
    assert queued == [invoice.pk]


def test_a_stamped_invoice_whose_delivery_was_lost_is_delivered_by_the_sweeper(org, customer, product, monkeypatch):
    from timbra.delivery import services as delivery_services

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    invoice = make_invoice(org, customer, product=product)
    with monkeypatch.context() as patch:
        # the PDF renderer fails right after the stamp (the worker gives back its delivery lease)
        patch.setattr(delivery_services, "render_pdf_for", lambda *a, **k: (_ for _ in ()).throw(OSError("crash")))
        stamped = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert stamped.status == InvoiceStatus.STAMPED
    monkeypatch.undo()
    counts = sweep_stuck_work(as_of=invoice.created_at + timedelta(minutes=5))
    invoice.refresh_from_db()
    assert counts["stamped"] == 1 and invoice.status == InvoiceStatus.DELIVERED


def test_the_sweeper_leaves_a_stamped_invoice_whose_email_retry_is_not_due(org, customer, product, monkeypatch):
    # given a stamped invoice whose email failed and is backing off (issue 14 §4)
    from timbra.delivery.models import Delivery

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    invoice = make_invoice(org, customer, product=product)
    with monkeypatch.context() as patch:
        from timbra.delivery import services as delivery_services

        patch.setattr(delivery_services, "render_pdf_for", lambda *a, **k: (_ for _ in ()).throw(OSError("crash")))
        process_invoice(invoice.pk, as_of=invoice.created_at)
    retry_at = invoice.created_at + timedelta(minutes=30)
    Delivery.objects.filter(invoice=invoice).update(next_attempt_at=retry_at)
    # when the sweeper runs while the retry is not due, and again once it is
    before = sweep_stuck_work(as_of=retry_at - timedelta(seconds=1))
    after = sweep_stuck_work(as_of=retry_at)
    # then only the second pass takes it
    assert before["stamped"] == 0 and after["stamped"] == 1
