"""The invoice's files: stamped XML and the PDF rendered from it (once, then stored)."""

from __future__ import annotations

from timbra.cfdi.pdf import Branding, render_pdf
from timbra.domain import catalogs
from timbra.invoicing.models import Invoice, InvoiceDocument


def branding_for(invoice: Invoice) -> Branding:
    org = invoice.org
    return Branding(logo=bytes(org.logo) if org.logo else None, color=org.brand_color)


def ensure_pdf(invoice: Invoice) -> bytes:
    """Render the PDF of a stamped invoice the first time; afterwards return the stored one."""
    doc = InvoiceDocument.objects.get(invoice=invoice)
    if doc.pdf:
        return bytes(doc.pdf)
    if not doc.stamped_xml:
        raise ValueError("the invoice is not stamped yet")
    pdf = render_pdf(
        bytes(doc.stamped_xml),
        branding=branding_for(invoice),
        descriptions=catalogs.describe,
        sandbox=invoice.pac == "sandbox",
    )
    InvoiceDocument.objects.filter(pk=doc.pk).update(pdf=pdf)
    return pdf
