"""process_invoice: move one invoice as far along the pipeline as it can go now."""

from __future__ import annotations

import logging
from datetime import datetime

from timbra import jobs
from timbra.delivery.services import deliver
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.poison import note_job_failure
from timbra.invoicing.seal import seal
from timbra.invoicing.stamp import StampOutcome, stamp

log = logging.getLogger(__name__)


def process_invoice(invoice_id: int, *, as_of: datetime) -> Invoice:
    """draft → sealed → stamped → delivered. Idempotent: re-running on an invoice that is
    already further along does nothing.

    One worker carries the invoice through every stage it can, handing each the objects and
    bytes the previous one produced instead of reading them back (a burst's cost is mostly
    database round trips). Delivery runs inline right after the stamp (one job per invoice
    instead of two); if it fails, the invoice stays stamped and the "delivery.send" job or the
    sweeper finishes it."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice_id)
    sealed = seal(invoice, as_of=as_of, stamp_next=True)
    invoice = sealed.invoice
    stamped = StampOutcome(invoice)
    if invoice.status == InvoiceStatus.SEALED:
        if invoice.next_attempt_at is not None and invoice.next_attempt_at > as_of:
            return invoice  # backing off after a PAC failure; a delayed job or the sweeper comes back
        stamped = stamp(invoice, as_of=as_of, sealed_xml=sealed.xml, attempt_counted=sealed.xml is not None)
        invoice = stamped.invoice
    if invoice.status == InvoiceStatus.STAMPED:
        try:
            if stamped.stamped_xml is not None:  # this worker stamped it and holds its deliveries
                invoice = deliver(invoice, as_of=as_of, stamped_xml=stamped.stamped_xml, claimed=stamped.deliveries)
            else:
                invoice = deliver(invoice, as_of=as_of)
        except Exception as exc:
            log.exception("delivery of invoice %s failed; queued for retry", invoice.pk)
            note_job_failure(invoice.pk, exc, job="delivery.send", as_of=as_of)
            jobs.enqueue("delivery.send", invoice_id=invoice.pk, delay=30)
    return invoice
