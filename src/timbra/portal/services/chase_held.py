"""Invoices held because the customer's fiscal data is wrong (the pre-stamp check or the PAC
said so: wrong name, CP, régimen, uso): their customer gets the portal link, once per invoice,
and the invoice goes out as soon as they correct it there (DESIGN: "bad data holds, it never
drops… the customer gets a portal link").

A sweep in the chase job, not a hook in invoicing.seal: an on-commit hook is lost if the
process dies right after the commit. Only holds of the last HORIZON are chased (a hold from
before this feature existed is the business's to handle), and only invoices that email the
customer. The outbox row is unique per (invoice, kind); the email is skipped at send time
when the invoice is no longer held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.notices import outbox
from timbra.notices.models import NoticeLog

HORIZON = timedelta(days=7)
BATCH = 500
# Hold codes that mean "the receptor's data": domain.taxpayer's checks and the SAT's Matriz de
# errores codes a PAC answers for the receptor (RFC not registered, name, CP, régimen, uso).
RECEPTOR_HOLD_CODES = frozenset({
    "rfc_invalid", "nombre_required", "codigo_postal_invalid",
    "CFDI40143", "CFDI40144", "CFDI40145", "CFDI40146", "CFDI40147", "CFDI40148", "CFDI40149",
    "CFDI40157", "CFDI40158", "CFDI40159", "CFDI40160", "CFDI40161",
})


def reserve_held_invoice_requests(*, as_of: datetime) -> int:
    """Reserve one "correct your data" email per recently held invoice with a receptor code."""
    held = (Invoice.objects.filter(status=InvoiceStatus.HELD, hold_code__in=RECEPTOR_HOLD_CODES, send_email=True,
                                   status_changed_at__gte=as_of - HORIZON, status_changed_at__lte=as_of)
            .exclude(notices__kind=NoticeLog.HELD_FISCAL_DATA).order_by("pk"))
    reserved = 0
    for invoice_id, org_id in held.values_list("pk", "org_id")[:BATCH]:
        reserved += outbox.reserve(org_id=org_id, invoice_id=invoice_id, kind=NoticeLog.HELD_FISCAL_DATA,
                                   created_at=as_of) is not None
    return reserved
