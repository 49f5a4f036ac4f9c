"""The customer gives their fiscal data once on the portal: what waited for it is stamped at once."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core import mail

from tests.csf_pdfs import csf_moral, foreign_pdf, scanned_csf
from tests.factories import NOW, make_customer, make_invoice
from tests.integration.portal.conftest import ANA, path_of, portal_links
from timbra.customers.models import Customer
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.selectors import autofactura_url, display_code
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.portal.links import fiscal_data_url
from timbra.portal.models import PortalEvent

pytestmark = pytest.mark.django_db


def test_the_payer_of_a_waiting_payment_gets_the_portal_link_by_email_at_once(waiting_payment):
    (message,) = [m for m in mail.outbox if "datos fiscales" in m.subject]
    assert message.to == ["ana@example.com"]
    assert "$580.00 MXN" in message.body and "factura global" in message.body
    (url,) = portal_links(message)
    assert url in message.alternatives[0][0]
    # and the receipt code to self-invoice it on the autofactura page (issue 12 §3)
    receipt = Receipt.objects.get(payment=waiting_payment)
    assert display_code(receipt.code) in message.body and autofactura_url(receipt) in message.body


def test_saving_valid_data_on_the_payment_link_invoices_the_waiting_payment_and_shows_it_stamped(
        waiting_payment, browser):
    # given the link from the email
    (url,) = portal_links(mail.outbox[-1])
    page = browser.get(path_of(url))
    assert page.status_code == 200 and "Espera tus datos fiscales" in page.content.decode()
    # when the payer saves their fiscal data
    response = browser.post(path_of(url), ANA)
    # then a customer exists with the payment's email, the payment is invoiced and the CFDI stamped
    assert response.status_code == 302 and "?guardado=1" in response["Location"]
    customer = Customer.objects.get()
    assert customer.rfc == "EWE1709045U0" and customer.emails == ["ana@example.com"]
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == Payment.INVOICED and waiting_payment.customer_id == customer.pk
    invoice = Invoice.objects.get()
    assert invoice.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED) and invoice.uuid
    # and the page it lands on (the customer's own link now) lists it with its files
    status = browser.get(response["Location"].split("#")[0].replace("?guardado=1", "") + "/estado")
    body = status.content.decode()
    assert "Timbrada" in body and f"/facturas/{invoice.pk}/pdf" in body
    assert PortalEvent.objects.filter(kind=PortalEvent.FISCAL_DATA_SAVED, customer=customer).count() == 1


def test_invalid_data_is_refused_with_the_dashboards_messages_and_nothing_is_released(waiting_payment, browser):
    (url,) = portal_links(mail.outbox[-1])
    wrong = {**ANA, "rfc": "EWE1709045U0", "regimen_fiscal": "605"}  # 605 is for personas físicas
    response = browser.post(path_of(url), wrong)
    assert response.status_code == 400
    assert "no corresponde a una persona moral" in response.content.decode()
    generic = browser.post(path_of(url), {**ANA, "rfc": "XAXX010101000"})
    assert "RFC genérico" in generic.content.decode()
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == Payment.AWAITING_FISCAL_DATA and not Customer.objects.exists()


def test_live_validation_answers_each_field_like_saving_would(waiting_payment, browser):
    (url,) = portal_links(mail.outbox[-1])
    answer = browser.post(path_of(url) + "/validar", {**ANA, "rfc": "ewe1709045u0", "nombre": "Edgar waldo erdmann SA de CV",
                                                       "codigo_postal": "4250"}).json()
    assert answer["rfc"] == "EWE1709045U0"
    assert "5 dígitos" in answer["errors"]["codigo_postal"]
    assert "rfc" not in answer["errors"]


def test_a_corrected_customer_releases_their_held_invoice(org, browser):
    # given a customer whose name was wrong: the sandbox PAC held the invoice (CFDI40145-like)
    customer = make_customer(org, rfc="EWE1709045U0", nombre="EDGAR ERDMANN", regimen="601", cp="42501")
    with browser.capture(execute=True):
        invoice = make_invoice(org, customer)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    # when the customer fixes the name on the portal
    url = fiscal_data_url(customer, as_of=NOW)
    browser.post(path_of(url), ANA)
    # then the held invoice is retried and stamped
    invoice.refresh_from_db()
    assert invoice.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)


def test_the_csf_prefills_the_form_for_confirmation_without_saving(org, browser):
    customer = make_customer(org)
    url = path_of(fiscal_data_url(customer, as_of=NOW))
    upload = io.BytesIO(csf_moral(rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN", cp="42501"))
    upload.name = "constancia.pdf"
    page = browser.post(url + "/constancia", {"constancia": upload}).content.decode()
    assert 'value="EWE1709045U0"' in page and 'value="EDGAR WALDO ERDMANN"' in page
    assert '<option value="601" selected>' in page and "Revisa los datos" in page
    customer.refresh_from_db()
    assert customer.rfc == "URE180429TM6"  # nothing saved until the person confirms


@pytest.mark.parametrize("pdf, says", [
    (foreign_pdf(), "no parece una Constancia"),
    (b"%PDF-1.4 broken", "No pudimos abrir ese archivo"),
    (scanned_csf(), "solo pudimos leer parte"),
])
def test_a_bad_foreign_or_scanned_pdf_gets_a_clear_message_and_the_manual_form(org, browser, pdf, says):
    customer = make_customer(org)
    url = path_of(fiscal_data_url(customer, as_of=NOW))
    upload = io.BytesIO(pdf)
    upload.name = "archivo.pdf"
    page = browser.post(url + "/constancia", {"constancia": upload}).content.decode()
    assert says in page
    assert 'id="fiscal-form"' in page  # typing by hand always works


def test_the_history_lists_every_cfdi_with_its_status_and_a_zip_of_a_date_range(org, browser, frozen):
    customer = make_customer(org)
    with browser.capture(execute=True):
        first, second = make_invoice(org, customer), make_invoice(org, customer)
    Invoice.objects.filter(pk=second.pk).update(status=InvoiceStatus.CANCELLED)
    url = path_of(fiscal_data_url(customer, as_of=NOW))
    page = browser.get(url).content.decode()
    assert "Vigente" in page and "Cancelada" in page
    pdf = browser.get(f"{url}/facturas/{first.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    xml = browser.get(f"{url}/facturas/{first.pk}/xml")
    assert xml.status_code == 200 and b"TimbreFiscalDigital" in xml.content
    day = NOW.date()
    response = browser.get(f"{url}/facturas/zip", {"desde": day.isoformat(), "hasta": day.isoformat()})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert len(names) == 4 and sum(n.endswith(".xml") for n in names) == 2
    empty = browser.get(f"{url}/facturas/zip", {"desde": (day - timedelta(days=9)).isoformat(),
                                                "hasta": (day - timedelta(days=8)).isoformat()})
    assert zipfile.ZipFile(io.BytesIO(empty.content)).namelist() == ["LEEME.txt"]


def test_every_invoice_email_carries_the_customers_portal_link(org, browser):
    customer = make_customer(org)
    mail.outbox.clear()
    with browser.capture(execute=True):
        invoice = make_invoice(org, customer)
    (message,) = [m for m in mail.outbox if invoice.serie in m.subject]
    (url,) = portal_links(message)
    page = browser.get(path_of(url)).content.decode()
    assert f"/facturas/{invoice.pk}/xml" in page


def test_the_staff_customer_page_shows_the_portal_link(org, browser):
    from tests.integration.dashboard.conftest import make_staff

    customer = make_customer(org)
    browser.client.force_login(make_staff(org))
    page = browser.get(f"/clientes/{customer.pk}/").content.decode()
    assert 'id="portal-url"' in page and "/portal/datos-fiscales/" in page
