"""Two workers racing on one invoice: one wins, the other no-ops (compare-and-swap, no locks)."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.concurrency import race
from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.invoicing.transitions import LostRace, move
from timbra.sandbox.models import SandboxStamp

pytestmark = pytest.mark.django_db(transaction=True)


def _race(target, n: int = 2) -> list[BaseException]:
    return race(*[target] * n)[1]

def test_two_workers_processing_one_invoice_produce_one_seal_and_one_uuid(frozen, monkeypatch):
    # given a draft whose job has not run (creation enqueues nothing here)
    org = make_org()
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "enqueue", lambda *a, **k: None)
        invoice = make_invoice(org, make_customer(org), product=make_product(org))
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DRAFT
    # when two workers take it at the same moment
    errors = _race(lambda: process_invoice(invoice.pk, as_of=NOW))
    # then
    assert errors == []
    invoice.refresh_from_db()
    assert invoice.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED) and invoice.uuid
    assert SandboxStamp.objects.count() == 1
    assert invoice.events.filter(kind="sealed").count() == 1
    assert invoice.events.filter(kind="stamped").count() == 1


def test_racing_workers_send_the_invoice_email_once(frozen, monkeypatch):
    # given a draft whose job has not run
    org = make_org()
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "enqueue", lambda *a, **k: None)
        invoice = make_invoice(org, make_customer(org, emails=["pagos@example.com"]), product=make_product(org))
    mail.outbox.clear()
    # when four workers take it at once (the stamp's winner sends under the claim its rows were born with)
    errors = _race(lambda: process_invoice(invoice.pk, as_of=NOW), n=4)
    # then one email, one "sent" mark, delivered
    assert errors == []
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED
    assert len(mail.outbox) == 1
    assert invoice.events.filter(kind="email_sent").count() == 1
    assert invoice.deliveries.get().attempts == 1


def test_a_stale_writer_loses_the_compare_and_swap(frozen, monkeypatch):
    org = make_org()
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    invoice = make_invoice(org, make_customer(org), product=make_product(org))
    stale = Invoice.objects.get(pk=invoice.pk)
    move(invoice, InvoiceStatus.CANCELLED, as_of=NOW, kind="discarded")

    with pytest.raises(LostRace):
        move(stale, InvoiceStatus.HELD, as_of=NOW, kind="held")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.CANCELLED


def test_concurrent_invoices_never_share_a_folio(frozen, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    org = make_org()
    customer, product = make_customer(org), make_product(org)

    errors = _race(lambda: [make_invoice(org, customer, product=product) for _ in range(5)], n=4)

    assert errors == []
    folios = list(Invoice.objects.values_list("folio", flat=True))
    assert len(folios) == 20 and len(set(folios)) == 20
