"""The customer's CFDI files: PDF, XML, and a ZIP of a date range (only their own invoices)."""

from __future__ import annotations

import io
import zipfile
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from timbra.invoicing.documents import ensure_pdf, render_documents, store_pdf
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.portal import selectors
from timbra.portal.forms import ZipRangeForm
from timbra.portal.links import Subject
from timbra.portal.views.access import page, portal_view

MAX_ZIP_INVOICES = 500
NOT_FOUND = "No encontramos esa factura."


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _name(invoice: Invoice, extension: str) -> str:
    from timbra.dashboard.views.invoice_actions import download_name  # one naming rule for every download

    return download_name(invoice, extension)


def _invoice(subject: Subject, invoice_id: int) -> Invoice:
    invoice = selectors.invoice_of(subject.customer, invoice_id) if subject.customer is not None else None
    if invoice is None:
        raise Http404(NOT_FOUND)
    return invoice


@require_GET
@portal_view("download")
def invoice_pdf(request: HttpRequest, subject: Subject, token: str, invoice_id: int) -> HttpResponse:
    invoice = _invoice(subject, invoice_id)
    try:
        pdf = ensure_pdf(invoice)
    except (ValueError, InvoiceDocument.DoesNotExist) as exc:
        raise Http404(NOT_FOUND) from exc
    return _attachment(pdf, "application/pdf", _name(invoice, "pdf"))


@require_GET
@portal_view("download")
def invoice_xml(request: HttpRequest, subject: Subject, token: str, invoice_id: int) -> HttpResponse:
    invoice = _invoice(subject, invoice_id)
    document = InvoiceDocument.objects.filter(invoice=invoice).first()
    if document is None or not document.stamped_xml:
        raise Http404(NOT_FOUND)
    return _attachment(bytes(document.stamped_xml), "application/xml", _name(invoice, "xml"))


@require_GET
@portal_view("download")
def invoices_zip(request: HttpRequest, subject: Subject, token: str) -> HttpResponse:
    """PDF and XML of every CFDI stamped in [desde, hasta] (the org's local days)."""
    form = ZipRangeForm(request.GET)
    if subject.customer is None or not form.is_valid():
        message = " ".join(str(e) for errors in form.errors.values() for e in errors) or "Elige un periodo."
        return page(request, "portal/message.html", {"title": "No pudimos preparar el ZIP", "message": message,
                                                     "back": token}, org=subject.org, status=400)
    start, end = form.cleaned_data["desde"], form.cleaned_data["hasta"]
    invoices = list(selectors.invoices_between(subject.customer, start, end, ZoneInfo(subject.org.timezone))
                    [:MAX_ZIP_INVOICES])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            pdf, xml, new = render_documents(invoice)
            if new:
                store_pdf(invoice, pdf)
            archive.writestr(_name(invoice, "xml"), xml)
            archive.writestr(_name(invoice, "pdf"), pdf)
        if not invoices:
            archive.writestr("LEEME.txt", "No hay facturas timbradas en ese periodo.\n")
    name = f"facturas_{subject.customer.rfc}_{start:%Y%m%d}-{end:%Y%m%d}.zip"
    return _attachment(buffer.getvalue(), "application/zip", name)
