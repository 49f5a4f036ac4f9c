"""Correct anything (issue 11 §4): credit notes by hand, «corregir y sustituir», editing held invoices and
asking the SAT about any CFDI. Real services, sandbox PAC, jobs run as they would (immediate queue)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import make_customer, make_invoice, make_product
from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import Problem
from timbra.invoicing.credit_note import issue_credit_note
from timbra.invoicing.edit import edit_held_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.invoicing.sat_check import check_recent, check_sat_status
from timbra.invoicing.seal import hold_invoice
from timbra.invoicing.substitute import substitute_invoice
from timbra.invoicing.sweep import sweep_stuck_work

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(org, customer, product, django_capture_on_commit_callbacks):
    """A delivered $1,158.84 invoice (999.00 + IVA 16 %)."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice.refresh_from_db()
    mail.outbox.clear()
    return invoice


def _run(callbacks, fn, *args, **kwargs):
    with callbacks(execute=True):
        result = fn(*args, **kwargs)
    result.refresh_from_db()
    return result


# --- credit notes by hand ------------------------------------------------------------------------------


def test_a_partial_credit_note_keeps_the_tax_proportion_and_the_exact_total(
    issued, django_capture_on_commit_callbacks
):
    note = _run(django_capture_on_commit_callbacks, issue_credit_note, issued, amount=Decimal("100.00"),
                actor="ana", as_of=timezone.now(), key="k1", concept="Descuento por pronto pago")
    assert note.status == InvoiceStatus.DELIVERED and note.uuid
    assert (note.tipo_de_comprobante, note.total) == ("E", Decimal("100.00"))
    assert note.related == [{"tipo_relacion": "01", "uuids": [issued.uuid]}]
    assert note.total_traslados == Decimal("13.79")  # 86.21 base × 16 %
    line = note.lines.get()
    assert (line.clave_prod_serv, line.clave_unidad) == ("84111506", "ACT")
    assert line.descripcion.startswith("Descuento por pronto pago: ")
    issued.refresh_from_db()
    assert issued.credited == Decimal("100.00")


def test_a_total_credit_note_credits_what_is_left_and_nothing_more(issued, django_capture_on_commit_callbacks):
    _run(django_capture_on_commit_callbacks, issue_credit_note, issued, amount=Decimal("158.84"), actor="ana",
         as_of=timezone.now(), key="k1")
    issued.refresh_from_db()
    rest = _run(django_capture_on_commit_callbacks, issue_credit_note, issued, amount=None, actor="ana",
                as_of=timezone.now(), key="k2")
    assert rest.total == Decimal("1000.00")
    issued.refresh_from_db()
    with pytest.raises(InvoicingError) as error:
        issue_credit_note(issued, amount=Decimal("0.01"), actor="ana", as_of=timezone.now(), key="k3")
    assert error.value.code == "exceeds_total"


def test_the_same_key_issues_one_credit_note(issued, django_capture_on_commit_callbacks):
    first = issue_credit_note(issued, amount=Decimal(10), actor="ana", as_of=timezone.now(), key="same")
    again = issue_credit_note(Invoice.objects.get(pk=issued.pk), amount=Decimal(10), actor="ana",
                              as_of=timezone.now(), key="same")
    assert again.pk == first.pk
    assert Invoice.objects.get(pk=issued.pk).credited == Decimal("10.00")


def test_a_credit_note_needs_a_stamped_ingreso_and_a_sane_amount(org, customer, product, issued):
    draft = make_invoice(org, customer, product=product)
    with pytest.raises(InvoicingError) as not_stamped:
        issue_credit_note(draft, amount=Decimal(1), actor="ana", as_of=timezone.now(), key="a")
    assert not_stamped.value.code == "not_creditable"
    for amount in (Decimal(0), Decimal("1.001")):
        with pytest.raises(InvoicingError) as bad:
            issue_credit_note(issued, amount=amount, actor="ana", as_of=timezone.now(), key=str(amount))
        assert bad.value.code == "amount_invalid"


# --- corregir y sustituir ------------------------------------------------------------------------------


def _corrected(invoice: Invoice, price: str = "899.00") -> InvoiceInput:
    return InvoiceInput(customer_id=invoice.customer_id, forma_pago="04", lines=(LineInput(
        descripcion="Suscripción mensual plataforma SaaS (precio corregido)", unit_price=Decimal(price),
        clave_prod_serv="81112101", clave_unidad="E48", taxes=("IVA16",)),))


def test_correcting_stamps_the_substitute_then_cancels_the_original_with_motive_01(
    issued, django_capture_on_commit_callbacks
):
    substitute = _run(django_capture_on_commit_callbacks, substitute_invoice, issued, _corrected(issued),
                      actor="ana", as_of=timezone.now())
    issued.refresh_from_db()
    assert substitute.status == InvoiceStatus.DELIVERED
    assert substitute.related == [{"tipo_relacion": "04", "uuids": [issued.uuid]}]
    assert issued.status == InvoiceStatus.CANCELLED
    assert (issued.cancellation_motive, issued.cancellation_folio_sustitucion) == ("01", substitute.uuid)
    assert issued.substitute_id == substitute.pk


def test_correcting_twice_never_makes_two_substitutes(issued, django_capture_on_commit_callbacks):
    first = _run(django_capture_on_commit_callbacks, substitute_invoice, issued, _corrected(issued),
                 actor="ana", as_of=timezone.now())
    again = substitute_invoice(Invoice.objects.get(pk=issued.pk), _corrected(issued, "1.00"), actor="ana",
                               as_of=timezone.now())
    assert again.pk == first.pk
    assert Invoice.objects.filter(source="substitution").count() == 1


def test_a_crash_between_substitute_stamped_and_original_cancelled_resumes_from_the_sweeper(
    issued, django_capture_on_commit_callbacks, frozen
):
    # given: the substitute is created and stamped, but every job queued on commit is lost (a crash)
    with django_capture_on_commit_callbacks(execute=False):
        substitute = substitute_invoice(issued, _corrected(issued), actor="ana", as_of=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        process_invoice(substitute.pk, as_of=timezone.now())
    substitute.refresh_from_db()
    issued.refresh_from_db()
    assert substitute.uuid and issued.status == InvoiceStatus.DELIVERED
    # when: the sweeper runs
    frozen.shift(timedelta(minutes=3))
    with django_capture_on_commit_callbacks(execute=True):
        counts = sweep_stuck_work(as_of=timezone.now())
    # then: the original is cancelled with motive 01, once
    assert counts["substituted"] == 1
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.CANCELLED and issued.cancellation_folio_sustitucion == substitute.uuid
    assert issued.events.filter(kind="cancellation_requested").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_stuck_work(as_of=timezone.now())["substituted"] == 0


def test_a_held_substitute_leaves_the_original_in_force(issued, django_capture_on_commit_callbacks, monkeypatch):
    other = make_customer(issued.org, rfc="EWE1709045U0")
    with pytest.raises(InvoicingError) as error:
        substitute_invoice(issued, InvoiceInput(customer_id=other.pk, lines=_corrected(issued).lines,
                                                forma_pago="04"), actor="ana", as_of=timezone.now())
    assert error.value.code == "substitute_other_customer"
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.DELIVERED


# --- held invoices can be edited -----------------------------------------------------------------------


def test_a_held_invoice_is_edited_and_retried_keeping_its_folio(org, customer, product,
                                                               django_capture_on_commit_callbacks):
    invoice = make_invoice(org, customer, product=product)
    hold_invoice(invoice, [Problem("CFDI40147", "receptor", "El código postal no coincide.")], as_of=timezone.now())
    other = make_product(org, descripcion="Plan anual", unit_price=Decimal("5000.00"))
    request = InvoiceInput(customer_id=customer.pk, forma_pago="03", metodo_pago="PUE",
                           lines=(LineInput(product_id=other.pk, cantidad=Decimal(2)),))
    edited = _run(django_capture_on_commit_callbacks, edit_held_invoice, invoice, request, actor="ana",
                  as_of=timezone.now(), retry=True)
    assert edited.status == InvoiceStatus.DELIVERED and edited.folio == invoice.folio
    assert edited.total == Decimal("11600.00") and edited.forma_pago == "03"
    assert list(edited.lines.values_list("descripcion", flat=True)) == ["Plan anual"]
    assert edited.events.filter(kind="edited").exists()


def test_only_a_held_invoice_can_be_edited(issued):
    with pytest.raises(InvoicingError) as error:
        edit_held_invoice(issued, _corrected(issued), actor="ana", as_of=timezone.now())
    assert error.value.code == "not_held"


# --- the SAT's word on any CFDI ---------------------------------------------------------------------------


def test_the_sat_status_of_a_stamped_cfdi_is_recorded_on_demand_and_nightly(issued, frozen):
    status = check_sat_status(issued, as_of=timezone.now(), actor="ana")
    assert (status.estado, status.es_cancelable) == ("Vigente", "Cancelable sin aceptación")
    issued.refresh_from_db()
    assert issued.sat_estado == "Vigente" and issued.sat_checked_at == timezone.now()
    # nightly: checked again the next day, not twice the same night
    frozen.shift(timedelta(days=4))  # Tuesday: past the next business day (Monday)
    assert check_recent(as_of=timezone.now()) == 1
    assert check_recent(as_of=timezone.now()) == 0
    issued.refresh_from_db()
    assert issued.sat_es_cancelable == "Cancelable con aceptación"  # past the next business day


def test_cancelling_a_credit_note_gives_its_amount_back_to_the_invoice(issued, django_capture_on_commit_callbacks):
    from timbra.invoicing.cancel import request_cancellation

    note = _run(django_capture_on_commit_callbacks, issue_credit_note, issued, amount=Decimal("300.00"),
                actor="ana", as_of=timezone.now(), key="k1")
    cancelled = _run(django_capture_on_commit_callbacks, request_cancellation, note, motivo="02", actor="ana",
                     as_of=timezone.now())
    assert cancelled.status == InvoiceStatus.CANCELLED
    issued.refresh_from_db()
    assert issued.credited == Decimal("0.00")
    # and the invoice itself may now be cancelled: its only related CFDI is cancelled
    original = _run(django_capture_on_commit_callbacks, request_cancellation, issued, motivo="02", actor="ana",
                    as_of=timezone.now())
    assert original.status == InvoiceStatus.CANCELLED
