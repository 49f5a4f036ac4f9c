"""The invoice's files: stamped XML and the PDF rendered from it (once, then stored)."""

from __future__ import annotations

from timbra.cfdi.pdf import Branding, render_pdf
from timbra.domain import catalogs
from timbra.invoicing.models import Invoice, InvoiceDocument


def branding_for(invoice: Invoice) -> Branding:
    org = invoice.org
    return Branding(logo=bytes(org.logo) if org.logo else None, color=org.brand_color)


def ensure_pdf(invoice: Invoice) -> bytes:
    """The PDF of a stamped invoice, rendered the first time and stored."""
    return pdf_and_xml(invoice)[0]


def pdf_and_xml(invoice: Invoice) -> tuple[bytes, bytes]:
    """(PDF, stamped XML) of a stamped invoice; the PDF is rendered the first time, then stored."""
    doc = InvoiceDocument.objects.only("pk", "pdf", "stamped_xml").get(invoice=invoice)
    if not doc.stamped_xml:
        raise ValueError("the invoice is not stamped yet")
    xml = bytes(doc.stamped_xml)
    if doc.pdf:
        return bytes(doc.pdf), xml
    pdf = render_pdf(
        xml,
        branding=branding_for(invoice),
        descriptions=catalogs.describe,
        sandbox=invoice.pac == "sandbox",
    )
    InvoiceDocument.objects.filter(pk=doc.pk).update(pdf=pdf)
    return pdf, xml
