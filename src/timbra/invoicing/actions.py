"""Staff actions on one invoice: retry after a correction, cancel before it is stamped."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import LostRace, move


def retry_invoice(invoice: Invoice, *, actor: str, as_of: datetime) -> Invoice:
    """Send a held invoice through the pipeline again, with the data as corrected now.

    It keeps its serie and folio; the seal is redone (a held invoice has no stamp, so a
    new Fecha cannot create a second UUID)."""
    if invoice.status != InvoiceStatus.HELD:
        raise InvoicingError("not_held", "Solo una factura detenida se puede reintentar.")
    try:
        with transaction.atomic():
            move(invoice, InvoiceStatus.DRAFT, as_of=as_of, kind="retry", actor=actor,
                 message=f"{actor} pidió reintentar la factura.", hold_code="", hold_message="", job_failures=0)
            jobs.enqueue_on_commit("invoicing.process", invoice_id=invoice.pk)
    except LostRace as exc:
        raise InvoicingError("conflict", "La factura cambió de estado mientras tanto; recarga la página.") from exc
    return invoice


def discard_invoice(invoice: Invoice, *, actor: str, as_of: datetime) -> Invoice:
    """Cancel an invoice that never reached the PAC (draft or held). Its folio is not reused.

    Stamped CFDIs are cancelled at the SAT with a motive (a later issue), not here."""
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.HELD):
        raise InvoicingError(
            "not_discardable",
            "Solo se puede descartar una factura que no se ha timbrado (borrador o detenida).",
        )
    try:
        with transaction.atomic():
            move(invoice, InvoiceStatus.CANCELLED, as_of=as_of, kind="discarded", actor=actor,
                 message=f"{actor} descartó la factura antes de timbrarla; el folio {invoice.serie_folio} "
                 "no se reutiliza.")
    except LostRace as exc:
        raise InvoicingError("conflict", "La factura cambió de estado mientras tanto; recarga la página.") from exc
    return invoice
