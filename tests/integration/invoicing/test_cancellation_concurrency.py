"""Racing workers and clients on issue 11's writes: one cancellation filed, one email, credit notes
that never add up past the invoice, one substitute (real threads, each with its own connection)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from tests.concurrency import race
from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.cancel_progress import advance_cancellation
from timbra.invoicing.credit_note import issue_credit_note
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.invoicing.substitute import substitute_invoice

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quiet(monkeypatch):
    """No job runs by itself: each test runs the work it races."""
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)


@pytest.fixture
def issued(frozen, quiet):
    org = make_org()
    invoice = make_invoice(org, make_customer(org), product=make_product(org))
    process_invoice(invoice.pk, as_of=NOW)
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice.pk)
    assert invoice.uuid
    mail.outbox.clear()
    return invoice


def test_two_workers_advancing_one_cancellation_file_it_once_and_email_once(issued, monkeypatch):
    request_cancellation(issued, motivo="02", actor="ana", as_of=NOW)
    from timbra.delivery.cancellation import notify_cancellation

    def work():
        advance_cancellation(issued.pk, as_of=NOW)
        notify_cancellation(issued.pk, as_of=NOW)

    _, errors = race(work, work, work)
    assert errors == []
    invoice = Invoice.objects.get(pk=issued.pk)
    assert invoice.status == InvoiceStatus.CANCELLED
    assert invoice.events.filter(kind="cancellation_filed").count() == 1
    assert invoice.events.filter(kind="cancelled").count() == 1
    assert len(mail.outbox) == 1


def test_two_identical_cancel_requests_at_once_are_one(issued):
    def ask():
        return request_cancellation(Invoice.objects.select_related("org", "customer").get(pk=issued.pk),
                                    motivo="03", actor="ana", as_of=NOW)

    _, errors = race(ask, ask)
    assert errors == []
    assert Invoice.objects.get(pk=issued.pk).events.filter(kind="cancellation_requested").count() == 1


def test_credit_notes_racing_never_add_up_past_the_invoice(issued):
    def credit(key):
        return lambda: issue_credit_note(Invoice.objects.select_related("org", "customer").get(pk=issued.pk),
                                         amount=Decimal("700.00"), actor="ana", as_of=NOW, key=key)

    results, errors = race(credit("a"), credit("b"))
    assert len(results) == 1 and [e.code for e in errors] == ["exceeds_total"]
    assert Invoice.objects.get(pk=issued.pk).credited == Decimal("700.00")
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


def test_two_corrections_at_once_make_one_substitute(issued):
    request = InvoiceInput(customer_id=issued.customer_id, forma_pago="04", lines=(LineInput(
        descripcion="Suscripción corregida", unit_price=Decimal("899.00"), clave_prod_serv="81112101",
        clave_unidad="E48", taxes=("IVA16",)),))

    def correct():
        return substitute_invoice(Invoice.objects.select_related("org", "customer").get(pk=issued.pk), request,
                                  actor="ana", as_of=NOW).pk

    results, errors = race(correct, correct)
    assert errors == [] and len(set(results)) == 1
    assert Invoice.objects.filter(source="substitution").count() == 1
    assert Invoice.objects.get(pk=issued.pk).substitute_id == results[0]
