"""The invoice's files: stamped XML and the PDF rendered from it (once, then stored)."""

from __future__ import annotations

from functools import lru_cache

from timbra.cfdi.pdf import Branding, render_pdf
from timbra.domain import catalogs
from timbra.invoicing.models import Invoice, InvoiceDocument


def branding_for(invoice: Invoice) -> Branding:
    org = invoice.org
    return _branding(bytes(org.logo) if org.logo else None, org.brand_color)


@lru_cache(maxsize=16)
def _branding(logo: bytes | None, color: str) -> Branding:
    # Branding decodes, checks and shrinks the logo with Pillow (3-7 ms for a typical logo) and
    # is immutable afterwards, so one per distinct logo serves every invoice. Keyed by the logo's
    # bytes, not the org: a logo changed from another process is simply a new key, never stale.
    return Branding(logo=logo, color=color)


def ensure_pdf(invoice: Invoice) -> bytes:
    """The PDF of a stamped invoice, rendered the first time and stored."""
    pdf, _, new = render_documents(invoice)
    if new:
        store_pdf(invoice, pdf)
    return pdf


def render_documents(invoice: Invoice) -> tuple[bytes, bytes, bool]:
    """(PDF, stamped XML, whether the PDF was rendered now and still needs `store_pdf`)."""
    doc = InvoiceDocument.objects.only("pk", "pdf", "stamped_xml").get(invoice=invoice)
    if not doc.stamped_xml:
        raise ValueError("the invoice is not stamped yet")
    xml = bytes(doc.stamped_xml)
    if doc.pdf:
        return bytes(doc.pdf), xml, False
    return render_pdf_for(invoice, xml), xml, True


def render_pdf_for(invoice: Invoice, stamped_xml: bytes) -> bytes:
    """Render (not store) the PDF of `invoice` from its stamped XML."""
    return render_pdf(
        stamped_xml,
        branding=branding_for(invoice),
        descriptions=catalogs.describe,
        # The sandbox, or a real PAC's test service ("finkok-pruebas"): no fiscal validity either way.
        sandbox=invoice.pac == "sandbox" or invoice.pac.endswith("-pruebas"),
    )


def store_pdf(invoice: Invoice, pdf: bytes) -> None:
    InvoiceDocument.objects.filter(invoice=invoice).update(pdf=pdf)
