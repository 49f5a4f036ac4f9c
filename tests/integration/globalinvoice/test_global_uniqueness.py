"""Exactly one global invoice per org, mode, currency and period: the job run again, a worker
killed between seal and stamp, two workers at once, and a customer claiming a receipt while the
global takes it. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from tests.concurrency import race
from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.services.issue import issue_due_global_invoices, issue_global_invoice
from timbra.invoicing import stamp
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.invoicing.sweep import sweep_stuck_work
from timbra.payments.models import Payment
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.sandbox.models import SandboxStamp

SALE_AT = datetime(2026, 11, 30, 12, 0, tzinfo=TIJUANA)
AFTER_CLOSE = datetime(2026, 12, 1, 0, 30, tzinfo=TIJUANA)


@pytest.fixture
def november(db):
    with time_machine.travel(SALE_AT, tick=False):
        org = make_tijuana_org(as_of=SALE_AT)
        payments = [sell(org, f"T-{n}", "116.00", SALE_AT) for n in range(1, 6)]
    return org, payments


@pytest.mark.django_db
def test_a_worker_killed_between_seal_and_stamp_leaves_one_global_with_one_uuid(november, monkeypatch):
    org, _ = november

    class WorkerKilled(BaseException):
        pass

    def die(*args, **kwargs):
        raise WorkerKilled()

    with time_machine.travel(AFTER_CLOSE, tick=False):
        [global_id] = issue_due_global_invoices(as_of=AFTER_CLOSE)
        with monkeypatch.context() as patch:
            patch.setattr(stamp, "record_stamp", die)
            with pytest.raises(WorkerKilled):
                process_invoice(global_id, as_of=AFTER_CLOSE)
    assert Invoice.objects.get(pk=global_id).status == InvoiceStatus.SEALED
    later = AFTER_CLOSE + timedelta(minutes=5)
    requeued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kw: requeued.append(kw["invoice_id"]))
    with time_machine.travel(later, tick=False):
        # when: the sweeper finds it and the job runs again; the periodic global job also runs
        sweep_stuck_work(as_of=later)
        assert issue_due_global_invoices(as_of=later) == []
        healed = process_invoice(requeued[0], as_of=later)
    # then
    assert healed.status == InvoiceStatus.DELIVERED
    assert healed.uuid == SandboxStamp.objects.get().uuid
    assert Invoice.objects.filter(source="global").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_issuing_the_same_period_at_once_make_one_global(november, monkeypatch):
    org, payments = november
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # stamping is not what races here

    def issue():
        return issue_global_invoice(org.pk, livemode=False, currency="MXN", period_key="monthly:2026-11-01",
                                    as_of=AFTER_CLOSE)

    with time_machine.travel(AFTER_CLOSE, tick=False):
        results, errors = race(issue, issue, issue)

    assert errors == []
    [global_invoice] = Invoice.objects.filter(source="global")
    assert {invoice.pk for result in results for invoice in result} == {global_invoice.pk}
    assert global_invoice.lines.count() == 5
    assert set(Receipt.objects.values_list("status", "global_invoice_id")) == {(Receipt.IN_GLOBAL, global_invoice.pk)}


@pytest.mark.django_db(transaction=True)
def test_a_customer_claiming_while_the_global_is_issued_ends_in_exactly_one_cfdi(november, monkeypatch):
    # given: one customer gives their fiscal data at the very moment the period's global is issued
    org, payments = november
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    from tests.factories import make_customer

    customer = make_customer(org)
    Payment.objects.filter(pk=payments[0].pk).update(customer=customer)

    with time_machine.travel(AFTER_CLOSE, tick=False):
        results, errors = race(
            lambda: issue_due_global_invoices(as_of=AFTER_CLOSE),
            lambda: invoice_payment(payments[0].pk, as_of=AFTER_CLOSE),
        )

    # then: the receipt is in exactly one CFDI, whichever won
    assert errors == []
    receipt = Receipt.objects.get(payment=payments[0])
    payment = Payment.objects.get(pk=payments[0].pk)
    [global_invoice] = Invoice.objects.filter(source="global")
    in_global = global_invoice.lines.filter(no_identificacion=receipt.number).exists()
    nominative = payment.invoice_id is not None
    assert in_global != nominative
    assert (receipt.status == Receipt.IN_GLOBAL) == in_global
    assert global_invoice.lines.count() == (5 if in_global else 4)
