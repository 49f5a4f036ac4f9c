"""Cancelling a stamped CFDI as the SAT defines it (issue 11 §3), on the real components: services,
the sandbox PAC's cancellation desk and its simulated SAT status service, jobs, email."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import MX, make_invoice, make_product
from timbra.cfdi.pac import CancelAnswer, CancelRequest, PacOutcomeUnknown, PacRejected
from timbra.domain.cancellation import SatStatus, Step
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.cancel_progress import advance_cancellation
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.sweep import sweep_stuck_work
from timbra.sandbox.cancellations import answer_as_receptor
from timbra.sandbox.models import SandboxStamp

pytestmark = pytest.mark.django_db

# NOW (tests.factories) is Friday 2026-11-20; Monday the 23rd is the next business day.
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=MX)


@pytest.fixture
def issued(org, customer, product, django_capture_on_commit_callbacks):
    """A delivered invoice of $1,158.84 (over the $1,000 of RMF 2.7.1.35)."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED
    mail.outbox.clear()
    return invoice


def _cancel(invoice, callbacks, motivo="02", **kwargs):
    with callbacks(execute=True):
        request_cancellation(invoice, motivo=motivo, actor="ana@kemper.example", as_of=timezone.now(), **kwargs)
    invoice.refresh_from_db()
    return invoice


def test_cancelling_the_day_it_was_issued_needs_no_acceptance_and_emails_the_customer(
    issued, django_capture_on_commit_callbacks
):
    # when: cancelled with motive 02 the same day (RMF 2.7.1.35: by the next business day)
    invoice = _cancel(issued, django_capture_on_commit_callbacks)
    # then: the SAT (sandbox) cancelled it without the receptor
    assert invoice.status == InvoiceStatus.CANCELLED
    assert invoice.cancellation_status == Step.CANCELLED and invoice.cancellation_needs_acceptance is False
    assert invoice.sat_estado == "Cancelado" and invoice.sat_estatus_cancelacion == "Cancelado sin aceptación"
    assert SandboxStamp.objects.get(uuid=invoice.uuid).cancel_motivo == "02"
    acuse = bytes(InvoiceDocument.objects.get(invoice=invoice).cancellation_acuse)
    assert b"Cancelacion" in acuse and invoice.uuid.encode() in acuse and b"SignatureValue" in acuse
    kinds = list(invoice.events.values_list("kind", flat=True))
    assert kinds[-4:] == ["cancellation_requested", "cancellation_filed", "cancelled", "cancellation_email_sent"]
    (message,) = mail.outbox
    assert "Cancelación del CFDI" in message.subject and invoice.uuid in message.body
    assert message.attachments[0][0].endswith("_acuse_cancelacion.xml")


def test_asking_twice_is_one_cancellation_and_one_email(issued, django_capture_on_commit_callbacks):
    invoice = _cancel(issued, django_capture_on_commit_callbacks)
    again = _cancel(Invoice.objects.get(pk=invoice.pk), django_capture_on_commit_callbacks)
    assert again.status == InvoiceStatus.CANCELLED
    assert invoice.events.filter(kind="cancellation_requested").count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("receptor", "status", "step", "sat"),
    [
        ("acepta", InvoiceStatus.CANCELLED, Step.CANCELLED, "Cancelado con aceptación"),
        ("rechaza", InvoiceStatus.DELIVERED, Step.REJECTED, "Solicitud rechazada"),
        ("silencio", InvoiceStatus.CANCELLATION_PENDING, Step.AWAITING, "En proceso"),
    ],
)
def test_after_the_next_business_day_the_receptor_decides(
    issued, django_capture_on_commit_callbacks, frozen, settings, receptor, status, step, sat
):
    # given: the sandbox receptor answers as configured; it is Tuesday, past the next business day
    settings.TIMBRA_SANDBOX_RECEPTOR = receptor
    frozen.move_to(TUESDAY)
    # when
    invoice = _cancel(issued, django_capture_on_commit_callbacks)
    # then
    assert invoice.cancellation_needs_acceptance is True
    assert (invoice.status, invoice.cancellation_status, invoice.sat_estatus_cancelacion) == (status, step, sat)


def test_silence_for_three_business_days_cancels_by_plazo_vencido(
    issued, django_capture_on_commit_callbacks, frozen, settings
):
    settings.TIMBRA_SANDBOX_RECEPTOR = "silencio"
    frozen.move_to(TUESDAY)
    invoice = _cancel(issued, django_capture_on_commit_callbacks)
    assert invoice.status == InvoiceStatus.CANCELLATION_PENDING
    # Friday the 27th is the third business day: still waiting; the sweeper polls every 30 minutes
    frozen.move_to(datetime(2026, 11, 27, 18, 0, tzinfo=MX))
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_stuck_work(as_of=timezone.now())
    assert counts["cancelling"] == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLATION_PENDING
    # Monday the 30th: the SAT cancelled it by silence
    frozen.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=MX))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_stuck_work(as_of=timezone.now())
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.sat_estatus_cancelacion == "Plazo vencido"
    assert len(mail.outbox) == 1


def test_a_receptor_who_answers_later_is_seen_at_the_next_poll(
    issued, django_capture_on_commit_callbacks, frozen, settings
):
    settings.TIMBRA_SANDBOX_RECEPTOR = "silencio"
    frozen.move_to(TUESDAY)
    invoice = _cancel(issued, django_capture_on_commit_callbacks)
    assert answer_as_receptor(invoice.uuid, accept=False, as_of=timezone.now())
    frozen.shift(timedelta(minutes=31))
    with django_capture_on_commit_callbacks(execute=True):
        sweep_stuck_work(as_of=timezone.now())
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED and invoice.cancellation_status == Step.REJECTED
    assert "rechazó" in invoice.events.last().message
    # and a new request may be filed after a rejection
    settings.TIMBRA_SANDBOX_RECEPTOR = "acepta"
    invoice = _cancel(invoice, django_capture_on_commit_callbacks, motivo="03")
    assert invoice.status == InvoiceStatus.CANCELLED


def test_motive_01_requires_a_stamped_substitute_that_relates_the_original(issued):
    with pytest.raises(InvoicingError) as missing:
        request_cancellation(issued, motivo="01", actor="ana", as_of=timezone.now())
    assert missing.value.code == "substitute_required"
    unrelated = make_invoice(issued.org, issued.customer, product=make_product(issued.org))
    with pytest.raises(InvoicingError) as not_stamped:
        request_cancellation(issued, motivo="01", substitute=unrelated, actor="ana", as_of=timezone.now())
    assert not_stamped.value.code == "substitute_not_stamped"


def test_motive_04_is_only_for_a_global_invoice_and_05_does_not_exist(issued):
    for motivo, code in (("04", "motivo_04_global_only"), ("05", "motivo_invalid")):
        with pytest.raises(InvoicingError) as error:
            request_cancellation(issued, motivo=motivo, actor="ana", as_of=timezone.now())
        assert error.value.code == code
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.DELIVERED


def test_a_cfdi_with_a_credit_note_in_force_cannot_be_cancelled_first(issued, django_capture_on_commit_callbacks):
    from timbra.invoicing.credit_note import issue_credit_note

    with django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(issued, amount=issued.total, actor="ana", as_of=timezone.now(), key="k1")
    with pytest.raises(InvoicingError) as error:
        request_cancellation(issued, motivo="02", actor="ana", as_of=timezone.now())
    assert error.value.code == "has_related_cfdis"
    assert f"nota de crédito {note.serie_folio}" in error.value.message


def test_the_deadline_is_the_month_of_the_annual_return(issued, frozen):
    # EKU9003173C9 is a persona moral: its 2026 CFDIs may be cancelled until March 31, 2027
    frozen.move_to(datetime(2027, 4, 1, 9, 0, tzinfo=MX))
    with pytest.raises(InvoicingError) as error:
        request_cancellation(issued, motivo="02", actor="ana", as_of=timezone.now())
    assert error.value.code == "deadline_passed" and "2027-03-31" in error.value.message


def test_an_unstamped_invoice_is_discarded_not_cancelled(org, customer, product):
    draft = make_invoice(org, customer, product=product)
    with pytest.raises(InvoicingError) as error:
        request_cancellation(draft, motivo="02", actor="ana", as_of=timezone.now())
    assert error.value.code == "not_stamped"


class FlakyCanceller:
    """A PAC whose first answer is lost after it filed the request (then it answers 202)."""

    name, is_sandbox = "flaky", True

    def __init__(self, inner, faults):
        self.inner, self.faults, self.calls = inner, list(faults), 0

    def stamp(self, signed_xml):
        return self.inner.stamp(signed_xml)

    def recover(self, signed_xml):
        return self.inner.recover(signed_xml)

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        self.calls += 1
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, PacRejected):
            raise fault
        answer = pacs.sandbox_cancellations().cancel(request)
        if fault == "lost":
            raise PacOutcomeUnknown("read timeout")
        return answer


def test_a_lost_pac_answer_is_sent_again_and_the_pac_answers_202(issued, django_capture_on_commit_callbacks, frozen):
    flaky = FlakyCanceller(pacs.sandbox_pac(), ["lost"])
    with pacs.override(flaky):
        invoice = _cancel(issued, django_capture_on_commit_callbacks)
        assert invoice.status == InvoiceStatus.CANCELLATION_PENDING and invoice.cancellation_status == Step.REQUESTING
        assert invoice.cancellation_next_check_at > timezone.now()
        frozen.shift(timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            sweep_stuck_work(as_of=timezone.now())
    invoice.refresh_from_db()
    assert flaky.calls == 2
    assert invoice.status == InvoiceStatus.CANCELLED
    assert invoice.events.get(kind="cancellation_filed").data["code"] == "202"


def test_a_refused_request_returns_the_invoice_as_it_was(issued, django_capture_on_commit_callbacks):
    refused = FlakyCanceller(pacs.sandbox_pac(), [PacRejected("203", "El UUID no corresponde al emisor.")])
    with pacs.override(refused):
        invoice = _cancel(issued, django_capture_on_commit_callbacks)
    assert invoice.status == InvoiceStatus.DELIVERED and invoice.cancellation_status == Step.REFUSED
    assert "203" in invoice.cancellation_reason


class FakeSat:
    def __init__(self, answers):
        self.answers = list(answers)

    def status(self, query):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_the_sat_status_service_not_the_pacs_201_decides(issued, django_capture_on_commit_callbacks, frozen):
    # given a SAT that does not know about the request yet, then reports it cancelled
    sat = FakeSat([SatStatus("S - Comprobante obtenido satisfactoriamente.", "Vigente", "Cancelable sin aceptación"),
                   SatStatus("S - Comprobante obtenido satisfactoriamente.", "Cancelado", "", "Cancelado sin aceptación")])
    with pacs.override_sat(sat):
        invoice = _cancel(issued, django_capture_on_commit_callbacks)
        assert invoice.status == InvoiceStatus.CANCELLATION_PENDING and invoice.cancellation_status == Step.AWAITING
        frozen.shift(timedelta(minutes=31))
        with django_capture_on_commit_callbacks(execute=True):
            advance_cancellation(invoice.pk, as_of=timezone.now())
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
