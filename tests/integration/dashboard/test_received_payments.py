"""Pagos recibidos: the list, the «Registrar pago» form (record_payment behind it, its REP
stamped), the payment page with its REP and the void action, and the invoice page's balance."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import NOW, make_customer
from tests.integration.receivables import conftest as receivables
from tests.integration.receivables.conftest import YESTERDAY
from timbra.domain.status import InvoiceStatus
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.selectors import open_balance
from timbra.receivables.services.record_payment import record_payment

pytestmark = pytest.mark.django_db

D = Decimal
NEW = reverse("dashboard:received_payment_new")
stamped = receivables.stamped  # the fixture: PPD invoices issued through the whole pipeline


def _form(customer, token=None, **fields):
    return {"token": str(token or uuid.uuid4()), "customer": customer.pk, "fecha_pago": "2026-11-19",
            "forma_de_pago": "03", "monto": "500.00", "moneda": "MXN", **fields}


@pytest.fixture
def submit(client_in, django_capture_on_commit_callbacks):
    """POST the form and run the REP's jobs (seal, stamp, PDF, email) as the worker would."""

    def post(data, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or client_in).post(NEW, data)

    return post


def test_recording_a_payment_creates_one_payment_and_a_stamped_rep(client_in, customer, stamped, submit):
    invoice = stamped()

    page = client_in.get(NEW, {"cliente": customer.pk}).content.decode()
    response = submit(_form(customer, monto="500.00", **{f"factura_{invoice.pk}": "500.00"}))

    payment = ReceivedPayment.objects.get()
    assert page.count(invoice.serie_folio) >= 1 and "1,158.84" in page
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:received_payment_detail", args=[payment.pk])
    assert (payment.source, payment.created_by, payment.forma_de_pago_p) == ("dashboard", "Ana López", "03")
    # a bare date is 12:00 in the org's zone, as in the API
    assert payment.fecha_pago == YESTERDAY.replace(hour=12)
    payment.rep_invoice.refresh_from_db()
    assert payment.rep_invoice.status == InvoiceStatus.DELIVERED and payment.rep_invoice.uuid
    assert open_balance(invoice) == D("658.84")
    detail = client_in.get(response["Location"]).content.decode()
    assert reverse("dashboard:invoice_pdf", args=[payment.rep_invoice_id]) in detail
    assert reverse("dashboard:invoice_xml", args=[payment.rep_invoice_id]) in detail
    assert "658.84" in detail and payment.rep_invoice.serie_folio in detail and "Anular pago" not in detail


def test_without_amounts_the_oldest_open_invoices_are_paid_first(customer, stamped, submit):
    older, newer = stamped(), stamped()

    submit(_form(customer, monto="1500.00"))

    rows = list(ReceivedPayment.objects.get().applications.values_list("invoice_id", "imp_pagado"))
    assert rows == [(older.pk, D("1158.84")), (newer.pk, D("341.16"))]


def test_a_double_submit_with_the_same_form_token_records_once(customer, stamped, submit):
    invoice = stamped()
    data = _form(customer, token=uuid.uuid4(), **{f"factura_{invoice.pk}": "500.00"})

    first, second = submit(data), submit(data)

    payment = ReceivedPayment.objects.get()
    assert first["Location"] == second["Location"] == reverse("dashboard:received_payment_detail",
                                                              args=[payment.pk])
    assert open_balance(invoice) == D("658.84")


def test_more_than_the_balance_is_refused_next_to_that_invoice(client_in, customer, stamped, submit):
    invoice = stamped()

    response = submit(_form(customer, monto="1200.00", **{f"factura_{invoice.pk}": "1200.00"}))

    page = response.content.decode()
    assert response.status_code == 200 and not ReceivedPayment.objects.exists()
    row = page.split(f'name="factura_{invoice.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "excede su saldo pendiente (1158.84 MXN)" in row


def test_a_foreign_currency_payment_without_tipo_de_cambio_is_refused_on_that_field(customer, stamped, submit):
    stamped()

    response = submit(_form(customer, moneda="USD", monto="50.00"))

    page = response.content.decode()
    assert response.status_code == 200 and not ReceivedPayment.objects.exists()
    field = page.split('name="tipo_cambio"', 1)[1].split("</div>", 1)[0]
    assert "Indica el tipo de cambio del pago en USD" in field


def test_a_future_date_and_forma_99_are_refused_in_spanish(customer, stamped, submit):
    stamped()

    page = submit(_form(customer, fecha_pago="2026-11-21", forma_de_pago="99")).content.decode()

    assert "La fecha de pago no puede ser posterior a hoy." in page
    assert "Seleccione una opción válida. 99 no es una de las opciones disponibles." in page
    assert not ReceivedPayment.objects.exists()


def test_recording_requires_the_csrf_token(staff, customer, stamped):
    invoice = stamped()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)

    response = browser.post(NEW, _form(customer, **{f"factura_{invoice.pk}": "500.00"}))

    assert response.status_code == 403 and not ReceivedPayment.objects.exists()


def test_another_orgs_customer_is_a_404(client_in, foreign, submit, customer):
    other = type(customer).objects.get(pk=foreign["customer_id"])

    assert client_in.get(NEW, {"cliente": other.pk}).status_code == 404
    assert submit(_form(other)).status_code == 404
    assert not ReceivedPayment.objects.exists()


def _record(org, customer, invoice, monto="400.00"):
    payment, _ = record_payment(org, customer=customer, fecha_pago=YESTERDAY, forma_de_pago="03", monto=D(monto),
                                applications=[(invoice, D(monto))], as_of=NOW, actor="pruebas")
    return payment


def test_the_list_shows_rep_status_and_deadline_and_filters_by_customer(client_in, org, customer, stamped,
                                                                         django_capture_on_commit_callbacks):
    other = make_customer(org, rfc="EWE1709045U0")
    mine, theirs = stamped(), stamped(for_customer=other)
    with django_capture_on_commit_callbacks(execute=True):
        payment = _record(org, customer, mine)
    _record(org, other, theirs, monto="100.00")
    url = reverse("dashboard:received_payments")

    page = client_in.get(url).content.decode()
    filtered = client_in.get(url, {"cliente": customer.pk}).content.decode()

    payment.refresh_from_db()
    assert "UNIVERSIDAD ROBOTICA ESPAÑOLA" in page and "EDGAR WALDO ERDMANN" in page
    assert reverse("dashboard:invoice_detail", args=[payment.rep_invoice_id]) in page
    assert "05/12/2026" in page and "$400.00 MXN" in page and "03 – Transferencia" in page
    assert mine.serie_folio in page and "badge-delivered" in page
    assert "EDGAR WALDO ERDMANN" not in filtered.split("<tbody>", 1)[1]


def test_a_payment_whose_rep_is_not_stamped_can_be_voided_after_confirming(client_in, org, customer, stamped):
    invoice = stamped()
    payment = _record(org, customer, invoice)  # its REP's jobs never ran: still a draft
    url = reverse("dashboard:received_payment_void", args=[payment.pk])
    detail = client_in.get(reverse("dashboard:received_payment_detail", args=[payment.pk])).content.decode()

    unconfirmed = client_in.post(url)
    payment.refresh_from_db()
    status_before = payment.status
    client_in.post(url, {"confirmar": "si"})

    payment.refresh_from_db()
    assert "Anular pago" in detail and unconfirmed.status_code == 302
    assert status_before == ReceivedPayment.RECORDED and payment.status == ReceivedPayment.CANCELLED
    assert payment.rep_invoice.status == InvoiceStatus.CANCELLED
    assert open_balance(invoice) == invoice.total


def test_the_invoice_page_shows_the_balance_and_links_to_record_a_payment(client_in, org, customer, stamped):
    invoice = stamped()
    payment = _record(org, customer, invoice)

    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()
    form = client_in.get(NEW, {"cliente": customer.pk, "factura": invoice.pk}).content.decode()

    assert "Saldo pendiente" in page and "$758.84 MXN" in page
    assert reverse("dashboard:received_payment_detail", args=[payment.pk]) in page
    assert f"{NEW}?cliente={customer.pk}&amp;factura={invoice.pk}" in page
    assert f'name="factura_{invoice.pk}" value="758.84"' in form and 'name="monto" value="758.84"' in form
