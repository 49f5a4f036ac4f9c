"""record_payment: what it accepts, what it refuses (in Spanish), and how it splits a payment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from lxml import etree

from tests.factories import NOW, make_customer
from tests.integration.receivables.conftest import PAGO20, YESTERDAY, D, doctos, dr_amounts, rep_xml
from tests.sat_official import assert_valid_cfdi
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.actions import discard_invoice, retry_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Series
from timbra.receivables.allocation import ApplicationInput
from timbra.receivables.models import PaymentApplication, ReceivedPayment
from timbra.receivables.selectors import open_balance, payment_status
from timbra.receivables.services.configure import configure_reps
from timbra.receivables.services.record_payment import record_payment
from timbra.receivables.services.void_payment import void_payment

pytestmark = pytest.mark.django_db


def refused(org, customer, **kwargs) -> InvoicingError:
    """Record a payment that must be refused; nothing may be written."""
    before = (ReceivedPayment.objects.count(), Invoice.objects.filter(tipo_de_comprobante="P").count())
    args = {"customer": customer, "fecha_pago": YESTERDAY, "forma_de_pago": "03", "as_of": NOW, **kwargs}
    with pytest.raises(InvoicingError) as caught:
        record_payment(org, **args)
    assert (ReceivedPayment.objects.count(), Invoice.objects.filter(tipo_de_comprobante="P").count()) == before
    return caught.value


def test_one_payment_across_two_invoices_is_one_rep_with_two_documents(stamped, pay):
    # given two stamped PPD invoices of 1,158.84 each
    first, second = stamped(), stamped()
    # when one transfer pays all of the first and part of the second
    payment = pay("1500.00", [(first, D("1158.84")), (second, D("341.16"))])
    # then one REP reports both, each as its first parcialidad
    xml = rep_xml(payment)
    assert_valid_cfdi(xml)
    assert [d.get("IdDocumento") for d in doctos(xml)] == [first.uuid, second.uuid]
    assert dr_amounts(xml) == [("1", "1158.84", "1158.84", "0.00"), ("1", "1158.84", "341.16", "817.68")]
    assert (payment_status(first), payment_status(second)) == ("pagada", "parcial")
    assert open_balance(second) == D("817.68")


def test_without_applications_the_oldest_open_invoices_are_paid_first(stamped, pay):
    # given an older invoice already half paid and a newer one
    older, newer = stamped(), stamped()
    pay("600.00", [(older, D("600.00"))])
    # when a payment arrives without saying what it pays
    payment = pay("800.00")
    # then it settles the older one first and the rest goes to the newer
    rows = list(payment.applications.values_list("invoice_id", "imp_pagado", "num_parcialidad"))
    assert rows == [(older.pk, D("558.84"), 2), (newer.pk, D("241.16"), 1)]
    assert dr_amounts(rep_xml(payment)) == [("2", "558.84", "558.84", "0.00"), ("1", "1158.84", "241.16", "917.68")]


@pytest.mark.parametrize("applications", [True, False])
def test_more_than_is_owed_is_refused(org, customer, stamped, pay, applications):
    # given a PPD invoice with 758.84 left
    invoice = stamped()
    pay("400.00", [(invoice, D("400.00"))])
    # when a payment of 758.85 arrives (for it, or for whatever is open)
    error = refused(org, customer, monto=D("758.85"),
                    applications=[(invoice, D("758.85"))] if applications else None)
    # then it is refused as an overpayment, in Spanish, and the balance is untouched
    assert error.code == "overpayment" and "excede" in error.message
    assert open_balance(invoice) == D("758.84")


def test_a_monto_larger_than_what_it_applies_is_refused(org, customer, stamped):
    invoice = stamped()
    error = refused(org, customer, monto=D("500.00"), applications=[(invoice, D("400.00"))])
    assert error.code == "overpayment" and "saldo a favor" in error.message


def test_a_pue_invoice_takes_no_payment_because_it_was_paid_at_issue(org, customer, stamped):
    # given a PUE invoice (paid in one exhibition when issued)
    invoice = stamped(metodo_pago="PUE")
    # when a payment is recorded against it
    error = refused(org, customer, monto=D("1158.84"), applications=[(invoice, D("1158.84"))])
    # then it is refused with the reason
    assert error.code == "invoice_is_pue"
    assert "PUE" in error.message and "no lleva complemento de pago" in error.message


def test_only_stamped_ppd_invoices_of_the_same_customer_take_payments(org, customer, stamped, product):
    other = make_customer(org, rfc="EWE1709045U0")
    foreign = stamped(for_customer=other)
    draft = Invoice.objects.create(org=org, customer=customer, status=InvoiceStatus.DRAFT, status_changed_at=NOW,
                                   metodo_pago="PPD", total=D("100.00"), created_at=NOW)
    assert refused(org, customer, monto=D("10.00"), applications=[(foreign, D("10.00"))]).code == (
        "invoice_other_customer"
    )
    assert refused(org, customer, monto=D("10.00"), applications=[(draft, D("10.00"))]).code == "invoice_not_stamped"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"forma_de_pago": "99"}, "forma_de_pago_invalid"),
        ({"moneda": "USD"}, "tipo_cambio_required"),
        ({"monto": D("100.001")}, "monto_invalid"),
        ({"fecha_pago": NOW + timedelta(hours=1)}, "fecha_pago_invalid"),
        ({"reference": "SPEI|123"}, "reference_invalid"),
    ],
)
def test_payment_data_the_sat_would_reject_is_refused(org, customer, stamped, overrides, code):
    invoice = stamped()
    kwargs = {"monto": D("100.00"), "applications": [(invoice, D("100.00"))], **overrides}
    assert refused(org, customer, **kwargs).code == code


def test_the_same_business_fact_is_recorded_once(org, customer, stamped, pay):
    # given a payment recorded with its gateway id
    invoice = stamped()
    first = pay("500.00", [(invoice, D("500.00"))], source="stripe", source_id="ch_123")
    # when the same charge is recorded again (a retried webhook)
    again, created = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                    monto=D("500.00"), applications=[(invoice, D("500.00"))], source="stripe",
                                    source_id="ch_123", as_of=NOW)
    # then the first record is returned and nothing else is created
    assert (again.pk, created) == (first.pk, False)
    assert ReceivedPayment.objects.count() == 1 and PaymentApplication.objects.count() == 1
    assert Invoice.objects.filter(tipo_de_comprobante="P").count() == 1
    assert open_balance(invoice) == D("658.84")


def test_a_usd_payment_of_an_mxn_invoice_states_the_equivalencia(stamped, pay):
    # given an MXN invoice of 1,158.84 and a USD payment at 17.50 MXN per dollar
    invoice = stamped()
    payment = pay("66.22", [(invoice, D("1158.84"))], moneda="USD", tipo_cambio=D("17.5"))
    # then the REP is valid and converts with EquivalenciaDR = TipoCambioP
    root = assert_valid_cfdi(rep_xml(payment))
    pago = root.find(f".//{PAGO20}Pago")
    assert (pago.get("MonedaP"), pago.get("TipoCambioP"), pago.get("Monto")) == ("USD", "17.5", "66.22")
    (dr,) = root.iterfind(f".//{PAGO20}DoctoRelacionado")
    assert (dr.get("MonedaDR"), dr.get("EquivalenciaDR"), dr.get("ImpSaldoInsoluto")) == ("MXN", "17.5", "0.00")
    assert root.find(f".//{PAGO20}Totales").get("MontoTotalPagos") == "1158.85"  # 66.22 x 17.5
    assert payment_status(invoice) == "pagada"


def test_an_explicit_equivalencia_is_used_as_given(stamped, pay):
    invoice = stamped()
    payment = pay("50.00", [ApplicationInput(invoice, D("900.00"), equivalencia_dr=D("18"))], moneda="USD",
                  tipo_cambio=D("17.9"))
    (dr,) = doctos(rep_xml(payment))
    assert (dr.get("EquivalenciaDR"), dr.get("ImpPagado")) == ("18", "900.00")


def test_the_rep_serie_and_folio_come_from_the_org_settings(org, stamped, pay):
    # given the org numbers its REPs in serie "CP"
    configure_reps(org, rep_serie="cp", rep_deadline_day=10, as_of=NOW)
    invoice = stamped()
    # when two payments are recorded
    reps = [pay("100.00", [(invoice, D("100.00"))]).rep_invoice for _ in range(2)]
    # then they are CP-1 and CP-2, and the REP says so
    assert [r.serie_folio for r in reps] == ["CP-1", "CP-2"]
    assert etree.fromstring(rep_xml(reps[1].received_payment)).get("Serie") == "CP"
    assert Series.objects.get(org=org, code="CP").next_folio == 3


def test_a_voided_payment_stops_counting_and_its_parcialidad_is_issued_again(org, customer, stamped,
                                                                              django_capture_on_commit_callbacks):
    # given a payment whose REP has not gone out yet (its job has not run)
    invoice = stamped()
    with django_capture_on_commit_callbacks(execute=False):
        mistaken, _ = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                     monto=D("300.00"), applications=[(invoice, D("300.00"))], as_of=NOW)
    assert payment_status(invoice) == "parcial"
    # when it is voided
    void_payment(mistaken, actor="pruebas", as_of=NOW)
    # then its REP is discarded and the invoice owes everything again
    mistaken.rep_invoice.refresh_from_db()
    assert mistaken.rep_invoice.status == InvoiceStatus.CANCELLED
    assert (payment_status(invoice), open_balance(invoice)) == ("pendiente", D("1158.84"))
    # and the next payment is parcialidad 1 again, with the full balance before it
    with django_capture_on_commit_callbacks(execute=True):
        again, _ = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                  monto=D("300.00"), applications=[(invoice, D("300.00"))], as_of=NOW)
    assert dr_amounts(rep_xml(again)) == [("1", "1158.84", "300.00", "858.84")]


def test_a_rep_discarded_from_the_invoice_side_releases_its_parcialidad_too(org, customer, stamped,
                                                                             django_capture_on_commit_callbacks):
    invoice = stamped()
    with django_capture_on_commit_callbacks(execute=False):
        payment, _ = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                    monto=D("300.00"), applications=[(invoice, D("300.00"))], as_of=NOW)
    discard_invoice(payment.rep_invoice, actor="pruebas", as_of=NOW)
    assert open_balance(invoice) == D("1158.84")
    with django_capture_on_commit_callbacks(execute=True):
        again, _ = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                  monto=D("1158.84"), applications=[(invoice, D("1158.84"))], as_of=NOW)
    assert again.applications.get().num_parcialidad == 1
    assert not PaymentApplication.objects.get(payment=payment).active


def test_a_stamped_rep_cannot_be_voided_here(stamped, pay):
    invoice = stamped()
    payment = pay("100.00", [(invoice, D("100.00"))])
    with pytest.raises(InvoicingError) as caught:
        void_payment(payment, actor="pruebas", as_of=NOW)
    assert caught.value.code == "rep_already_issued" and "SAT" in caught.value.message
    assert payment_status(invoice) == "parcial"


def test_a_rep_whose_customer_data_is_wrong_is_held_and_goes_out_once_corrected(org, customer, stamped, pay,
                                                                               django_capture_on_commit_callbacks):
    # given a payment recorded after the customer's razón social was mistyped
    invoice = stamped()
    customer.nombre = "UNIVERSIDAD ROBOTICA"
    customer.save(update_fields=["nombre"])
    payment = pay("100.00", [(invoice, D("100.00"))])
    rep = payment.rep_invoice
    # then the sandbox PAC refuses the receptor and the REP is held with its reason
    rep.refresh_from_db()
    assert rep.status == InvoiceStatus.HELD and rep.hold_message
    # when the name is corrected and the REP retried, it is stamped
    customer.nombre = "UNIVERSIDAD ROBOTICA ESPAÑOLA"
    customer.save(update_fields=["nombre"])
    with django_capture_on_commit_callbacks(execute=True):
        retry_invoice(rep, actor="pruebas", as_of=NOW)
    rep.refresh_from_db()
    assert rep.status == InvoiceStatus.DELIVERED
    assert etree.fromstring(rep_xml(payment)).find("{http://www.sat.gob.mx/cfd/4}Receptor").get("Nombre") == (
        "UNIVERSIDAD ROBOTICA ESPAÑOLA"
    )


def test_each_paid_invoice_records_the_payment_on_its_timeline(stamped, pay):
    invoice = stamped()
    pay("400.00", [(invoice, D("400.00"))])
    event = invoice.events.get(kind="payment_recorded")
    assert event.message.startswith("Pago de 400.00 MXN registrado (parcialidad 1); saldo pendiente 758.84 MXN.")
    assert Decimal(event.data["imp_saldo_insoluto"]) == D("758.84")
