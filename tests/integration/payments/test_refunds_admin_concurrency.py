"""Two people act on one held refund at the same instant (real threads, a file database): one
Egreso at most, and a retry racing a dismissal leaves exactly one of them done."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.concurrency import race
from tests.factories import NOW
from tests.integration.refund_rows import egresos, refuse_credit_notes
from tests.unit.payments.stripe_events import event
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.payments.models import Payment, Refund
from timbra.payments.services import credit_notes
from timbra.payments.services.process_event import process_event
from timbra.payments.services.refunds_admin import RefundStateError, dismiss_refund, retry_refund

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held(stored, monkeypatch):
    """A refund held by a creation error that is fixed now (events processed as a worker would)."""
    process_event(stored(event("charge_succeeded_oneoff")), as_of=NOW)
    assert process_invoice(Invoice.objects.get().pk, as_of=NOW).uuid
    with monkeypatch.context() as patch:
        patch.setattr(credit_notes, "create_invoice", refuse_credit_notes)
        process_event(stored(event("charge_refunded_partial")), as_of=NOW)
    refund = Refund.objects.get()
    assert refund.status == Refund.HELD
    return refund


def _only_lost_races(errors: list[BaseException]) -> bool:
    return all(isinstance(e, RefundStateError) and e.code == "refund_not_held" for e in errors)


def test_two_retries_at_once_issue_one_egreso(held):
    results, errors = race(lambda: retry_refund(held, actor="Ana", as_of=NOW),
                           lambda: retry_refund(held, actor="Beto", as_of=NOW))

    assert len(results) + len(errors) == 2 and _only_lost_races(errors)
    assert len(egresos(held.connection)) == 1
    assert Refund.objects.get(pk=held.pk).status == Refund.CREDITED
    assert Payment.objects.get(pk=held.payment_id).refunded == Decimal("200.00")


def test_a_retry_racing_a_dismissal_leaves_one_outcome(held):
    _, errors = race(lambda: retry_refund(held, actor="Ana", as_of=NOW),
                     lambda: dismiss_refund(held, reason="emitida a mano", actor="Beto", as_of=NOW))

    assert _only_lost_races(errors) and len(errors) <= 1
    status = Refund.objects.get(pk=held.pk).status
    assert status in (Refund.CREDITED, Refund.DISMISSED)
    assert len(egresos(held.connection)) == (1 if status == Refund.CREDITED else 0)
