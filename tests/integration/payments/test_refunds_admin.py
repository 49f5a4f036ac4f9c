"""A person acts on a held refund (issue 3): retry its nota de crédito once the cause is fixed, or
dismiss it as handled by hand. Only a held refund moves; the total is never exceeded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import NOW
from tests.integration.refund_rows import egresos, held_by_creation_error, held_by_excess
from tests.sat_official import assert_valid_cfdi
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, Refund
from timbra.payments.services.refunds_admin import RefundStateError, dismiss_refund, retry_refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(connection, deliver):
    return lambda data: deliver(connection, data)


def _original() -> Invoice:
    return Invoice.objects.get(tipo_de_comprobante="I")


def test_retrying_a_held_refund_after_the_cause_is_fixed_issues_one_egreso(
    connection, run, django_capture_on_commit_callbacks
):
    # given a refund held because its Egreso could not be created (the fault is gone now)
    refund = held_by_creation_error(run)
    assert not egresos(connection)
    # when a person retries it
    with django_capture_on_commit_callbacks(execute=True):
        result = retry_refund(refund, actor="Ana López", as_of=NOW)
    # then exactly one Egreso, stamped and valid, related to the original; the total grows once
    [egreso] = egresos(connection)
    assert result.status == Refund.CREDITED and result.credit_note_id == egreso.pk
    assert egreso.total == Decimal("200.00") and egreso.related[0]["uuids"] == [_original().uuid]
    assert assert_valid_cfdi(bytes(egreso.document.stamped_xml)).get("TipoDeComprobante") == "E"
    assert Payment.objects.get().refunded == Decimal("200.00")
    kinds = list(_original().events.order_by("pk").values_list("kind", "actor"))
    assert ("refund_retry", "Ana López") in kinds and ("credit_note", "stripe") in kinds
    # and a second retry changes nothing
    with pytest.raises(RefundStateError) as second:
        retry_refund(refund, actor="Ana López", as_of=NOW)
    assert second.value.code == "refund_not_held" and "Nota de crédito emitida" in second.value.message
    assert len(egresos(connection)) == 1


def test_retrying_a_refund_that_would_still_exceed_the_total_keeps_it_held(connection, run):
    refund = held_by_excess(run)

    result = retry_refund(refund, actor="Ana López", as_of=NOW)

    assert result.status == Refund.HELD and "supere el total" in result.status_reason
    assert len(egresos(connection)) == 2 and Payment.objects.get().refunded == Decimal("580.00")
    assert _original().events.filter(kind="refund_retry").count() == 1


def test_dismissing_a_held_refund_records_the_reason_on_the_original_invoices_timeline(connection, run):
    refund = held_by_excess(run)
    held_reason = refund.status_reason

    result = dismiss_refund(refund, reason="  Nota de crédito\n emitida a mano  ", actor="Ana López", as_of=NOW)

    assert result.status == Refund.DISMISSED
    assert result.status_reason == "Resuelto a mano por Ana López: Nota de crédito emitida a mano"
    event = _original().events.get(kind="refund_dismissed")
    assert event.actor == "Ana López" and "Nota de crédito emitida a mano" in event.message
    assert event.data == {"refund_id": "re_extra", "reason": "Nota de crédito emitida a mano",
                          "held_reason": held_reason}
    assert len(egresos(connection)) == 2
    # dismissing again is a no-op (no second timeline row); retrying it is refused
    assert dismiss_refund(refund, reason="otra vez", actor="Beto", as_of=NOW).status_reason == result.status_reason
    assert _original().events.filter(kind="refund_dismissed").count() == 1
    with pytest.raises(RefundStateError):
        retry_refund(result, actor="Beto", as_of=NOW)


def test_a_dismissal_needs_a_reason(connection, run):
    refund = held_by_excess(run)

    with pytest.raises(InvoicingError) as blank:
        dismiss_refund(refund, reason="   ", actor="Ana", as_of=NOW)

    assert (blank.value.code, blank.value.field) == ("reason_required", "reason")
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD


def test_only_a_held_refund_can_be_dismissed(connection, run):
    run_refund = held_by_creation_error(run)
    retry_refund(run_refund, actor="Ana", as_of=NOW)  # credited now

    with pytest.raises(RefundStateError) as error:
        dismiss_refund(run_refund, reason="ya no", actor="Ana", as_of=NOW)

    assert error.value.code == "refund_not_held" and error.value.status_code == 409
    assert Refund.objects.get(pk=run_refund.pk).status == Refund.CREDITED


def test_a_refund_held_after_its_egreso_cannot_be_retried_only_dismissed(connection, run):
    # given a credited refund that Stripe later reports as failed (held: should the Egreso be cancelled?)
    refund = held_by_creation_error(run)
    retry_refund(refund, actor="Ana", as_of=NOW)
    Refund.objects.filter(pk=refund.pk).update(status=Refund.HELD, status_reason="falló después")
    refund.refresh_from_db()
    # when / then
    with pytest.raises(RefundStateError) as error:
        retry_refund(refund, actor="Ana", as_of=NOW)
    assert error.value.code == "refund_has_credit_note"
    assert dismiss_refund(refund, reason="Egreso cancelado ante el SAT", actor="Ana", as_of=NOW).status == (
        Refund.DISMISSED)
    assert len(egresos(connection)) == 1
