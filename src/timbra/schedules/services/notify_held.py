"""Tell the business when an invoice a schedule issued is held, once per invoice.

The pre-stamp check (invoicing.seal → timbra.domain.rules) re-checks the customer's fiscal
data before every stamp and holds the invoice with its reason instead of letting the PAC
reject it. Nobody is watching a schedule at 6 a.m., so the business gets an email.

Why a sweep and not a hook inside invoicing.seal.hold_invoice: a hook run on commit is lost if
the process dies right after the commit, so it would need this sweep behind it anyway; the
marker `ScheduleRun.hold_notified_at` makes it once per invoice (a retried invoice held again
does not email twice). It runs with the issuing job (every 5 minutes). Email is at-least-once
(sent, then marked; RFC 1047): a crash in between may repeat one email, never lose it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail

from timbra.domain.status import InvoiceStatus
from timbra.schedules.models import ScheduleRun
from timbra.schedules.services.changes import record

log = logging.getLogger(__name__)

BATCH = 200


def notify_held_invoices(*, as_of: datetime) -> int:
    """Email the org about each held schedule invoice not yet notified; return how many."""
    runs = (ScheduleRun.objects.filter(hold_notified_at__isnull=True, invoice__status=InvoiceStatus.HELD)
            .select_related("invoice", "schedule__org", "schedule__customer", "schedule__plan")[:BATCH])
    sent = 0
    for run in runs:
        org = run.schedule.org
        if org.email:
            subject, body = held_message(run)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [org.email])
        else:
            log.warning("held schedule invoice %s: org %s has no email", run.invoice_id, org.pk)
        if ScheduleRun.objects.filter(pk=run.pk, hold_notified_at__isnull=True).update(hold_notified_at=as_of):
            record(run.schedule, kind="hold_notified", as_of=as_of,
                   message=f"La factura {run.invoice.serie_folio} quedó detenida: {run.invoice.hold_message} "
                           f"Se avisó a {org.email or 'nadie (la organización no tiene correo)'}.",
                   data={"invoice_id": run.invoice_id, "hold_code": run.invoice.hold_code})
            sent += 1
    return sent


def held_message(run: ScheduleRun) -> tuple[str, str]:
    """Subject and body (es-MX) of the email to the business."""
    invoice, schedule = run.invoice, run.schedule
    customer = schedule.customer
    subject = f"Factura detenida: {invoice.serie_folio} de {customer.nombre}"
    body = (
        f"La factura {invoice.serie_folio} de la programación «{schedule.display_name}» para "
        f"{customer.nombre} ({customer.rfc}), periodo {run.period_label or run.period_key}, no se timbró:\n\n"
        f"{invoice.hold_message}\n\n"
        "No se perdió: corrige los datos fiscales del cliente (o de la programación) y reintenta la "
        f"factura desde el panel o con POST /api/v1/invoices/{invoice.pk}/retry. Se timbra con la fecha "
        "de ese momento.\n"
    )
    return subject, body
