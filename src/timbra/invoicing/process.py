"""process_invoice: move one invoice as far along the pipeline as it can go now."""

from __future__ import annotations

from datetime import datetime

from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.seal import seal_invoice
from timbra.invoicing.stamp import stamp_invoice


def process_invoice(invoice_id: int, *, as_of: datetime) -> Invoice:
    """draft → sealed → stamped, then hand over to delivery. Idempotent: re-running on an
    invoice that is already further along does nothing."""
    invoice = seal_invoice(invoice_id, as_of=as_of)
    if invoice.status == InvoiceStatus.SEALED:
        if invoice.next_attempt_at is not None and invoice.next_attempt_at > as_of:
            return invoice  # backing off after a PAC failure; a delayed job or the sweeper comes back
        invoice = stamp_invoice(invoice_id, as_of=as_of)
    if invoice.status == InvoiceStatus.STAMPED:
        jobs.enqueue_on_commit("delivery.send", invoice_id=invoice.pk)
    return invoice
