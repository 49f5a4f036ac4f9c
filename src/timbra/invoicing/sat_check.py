"""check_sat_status: what the SAT says about a stamped CFDI now (vigente / cancelado / cancelable).

On demand (dashboard, API) and nightly for recently stamped CFDIs. It only records the SAT's answer
on the invoice; the one exception is a CFDI the SAT reports as cancelled while Timbra still shows it
issued (cancelled outside Timbra, e.g. on the SAT portal): the timeline says so, in Spanish, so a
person can act. A pending cancellation is followed by invoicing/cancel_progress.py instead.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from timbra.cfdi.sat_status import SatUnavailable, StatusQuery
from timbra.domain.cancellation import Outcome, SatStatus
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.cancel_progress import check_cancellation, sat_fields
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.transitions import record

RECENT = timedelta(days=7)
BATCH = 500


def check_sat_status(invoice: Invoice, *, as_of: datetime, actor: str = "sistema") -> SatStatus:
    """Ask the SAT status service about `invoice` and keep its answer on the invoice."""
    if not invoice.uuid:
        raise InvoicingError("not_stamped", "La factura no está timbrada: el SAT no la conoce.")
    xml = InvoiceDocument.objects.values_list("stamped_xml", flat=True).get(invoice=invoice)
    try:
        status = pacs.sat_status_for(invoice.livemode).status(StatusQuery.from_xml(bytes(xml)))
    except SatUnavailable as exc:
        raise InvoicingError("sat_unavailable", "El servicio de consulta del SAT no respondió; intenta más tarde.") \
            from exc
    if invoice.status == InvoiceStatus.CANCELLATION_PENDING:
        check_cancellation(invoice, as_of=as_of, status=status)  # the same answer moves it on
        return status
    fields = sat_fields(status, as_of)
    Invoice.objects.filter(pk=invoice.pk).update(**fields)
    for name, value in fields.items():
        setattr(invoice, name, value)
    if status.outcome() == Outcome.CANCELLED and invoice.status != InvoiceStatus.CANCELLED:
        record(invoice, "cancelled_outside", as_of=as_of, actor=actor,
               message="El SAT reporta este CFDI como cancelado, pero no se canceló desde Timbra. Revísalo.")
    return status


def check_recent(*, as_of: datetime) -> int:
    """Nightly: the CFDIs stamped in the last week that were not checked today."""
    rows = (
        Invoice.objects.filter(status__in=(InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED),
                               stamped_at__gte=as_of - RECENT)
        .exclude(sat_checked_at__gte=as_of - timedelta(hours=20))
        .select_related("org", "customer")[:BATCH]
    )
    checked = 0
    for invoice in rows:
        try:
            check_sat_status(invoice, as_of=as_of)
        except InvoicingError:
            continue  # the SAT is down: tomorrow's run asks again
        checked += 1
    return checked
