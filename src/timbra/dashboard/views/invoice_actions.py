"""What staff can do to one invoice: download its files, retry it after a hold, discard it."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from timbra.dashboard.access import Tenant, org_view
from timbra.dashboard.views.invoices import invoice_or_404
from timbra.invoicing.actions import discard_invoice, retry_invoice
from timbra.invoicing.documents import ensure_pdf
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def download_name(invoice: Invoice, extension: str) -> str:
    """`EKU9003173C9_A-12_<uuid>.pdf`: only ASCII letters, digits, dash and underscore before the
    extension, so no header injection or path tricks, whatever a serie contains."""
    parts = [invoice.org.rfc, invoice.serie_folio or str(invoice.pk), invoice.uuid or ""]
    stem = "_".join(_UNSAFE.sub("-", part).strip("-") for part in parts if part)
    return f"{stem or 'factura'}.{extension}"


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


@org_view
@require_GET
def invoice_xml(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """The stamped CFDI exactly as the PAC returned it."""
    invoice = invoice_or_404(tenant, invoice_id)
    document = InvoiceDocument.objects.filter(invoice=invoice).first()
    if document is None or not document.stamped_xml:
        raise Http404("La factura aún no está timbrada.")
    return _attachment(bytes(document.stamped_xml), "application/xml", download_name(invoice, "xml"))


@org_view
@require_GET
def invoice_pdf(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """The representación impresa, rendered the first time it is asked for."""
    invoice = invoice_or_404(tenant, invoice_id)
    try:
        pdf = ensure_pdf(invoice)
    except (ValueError, InvoiceDocument.DoesNotExist) as exc:
        raise Http404("La factura aún no está timbrada.") from exc
    return _attachment(pdf, "application/pdf", download_name(invoice, "pdf"))


@org_view
@require_POST
def invoice_retry(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Send a held invoice through sealing and stamping again, with the data as corrected now."""
    invoice = invoice_or_404(tenant, invoice_id)
    try:
        retry_invoice(invoice, actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"La factura {invoice.serie_folio} volvió a la cola para sellarse y timbrarse.")
    return redirect("dashboard:invoice_detail", invoice_id=invoice.pk)


@org_view
@require_POST
def invoice_discard(request: HttpRequest, tenant: Tenant, invoice_id: int) -> HttpResponse:
    """Cancel a draft or held invoice before it reaches the PAC (its folio is not reused)."""
    invoice = invoice_or_404(tenant, invoice_id)
    try:
        discard_invoice(invoice, actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"La factura {invoice.serie_folio} se descartó.")
    return redirect("dashboard:invoice_detail", invoice_id=invoice.pk)
