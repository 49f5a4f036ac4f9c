"""PDF and XML downloads of a stamped invoice, with safe file names."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_invoice
from timbra.dashboard.views.invoice_actions import download_name
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def stamped(org, customer, product, django_capture_on_commit_callbacks):
    """An invoice run through the real pipeline (seal → sandbox PAC stamp → delivery)."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.uuid, (invoice.status, invoice.hold_message, invoice.last_error)
    return invoice


def test_xml_download_is_the_stamped_cfdi_with_a_safe_filename(client_in, stamped):
    response = client_in.get(reverse("dashboard:invoice_xml", args=[stamped.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    assert response["Content-Disposition"] == f'attachment; filename="EKU9003173C9_A-1_{stamped.uuid}.xml"'
    assert b"TimbreFiscalDigital" in response.content and stamped.uuid.encode() in response.content


def test_pdf_download_renders_the_invoice(client_in, stamped):
    response = client_in.get(reverse("dashboard:invoice_pdf", args=[stamped.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].endswith(f'{stamped.uuid}.pdf"')


def test_stamped_invoice_page_offers_both_downloads_and_no_discard(client_in, stamped):
    page = client_in.get(reverse("dashboard:invoice_detail", args=[stamped.pk])).content.decode()

    assert "Descargar PDF" in page and "Descargar XML" in page and stamped.uuid in page
    assert "Descartar factura" not in page
    assert "Timbrada" in page


def test_download_name_keeps_only_safe_characters(org):
    invoice = Invoice(org=org, serie='A"\r\n/../x', folio="7", uuid=None)

    name = download_name(invoice, "pdf")

    assert name == "EKU9003173C9_A-x-7.pdf"
