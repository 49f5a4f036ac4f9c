"""alert_due_reps: tell the business, in Spanish, which REPs are about to be late or are late.

A REP that is held (bad customer data, a PAC rejection) waits for a person; nobody looks at
it unless told, and the SAT deadline (the org's `rep_deadline_day` of the following month)
keeps running. The job runs every hour; an org is emailed from ALERT_FROM_HOUR in its own
zone (nobody wants a 1 a.m. email), about each payment at most once per local day: a
`RepAlert` row per (payment, day) is claimed by unique constraint before sending, so two
workers or a re-run never repeat it, and it is released if the email fails.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from timbra.orgs.models import Org
from timbra.receivables.models import ReceivedPayment, RepAlert
from timbra.receivables.selectors import REP_PENDING, DueRep, in_currency, reps_due, settings_for

log = logging.getLogger(__name__)

ALERT_WITHIN_DAYS = 2
ALERT_FROM_HOUR = 8


def alert_due_reps(*, as_of: datetime) -> int:
    """Email every org with REPs due within 2 days or overdue; return how many payments were told."""
    org_ids = (
        ReceivedPayment.objects.filter(status=ReceivedPayment.RECORDED, rep_invoice__status__in=REP_PENDING)
        .values_list("org_id", flat=True).distinct()
    )
    return sum(alert_org(org, as_of=as_of) for org in Org.objects.filter(pk__in=list(org_ids)))


def alert_org(org: Org, *, as_of: datetime) -> int:
    """One email to `org` listing its urgent REPs not yet alerted today; return how many."""
    local = as_of.astimezone(ZoneInfo(org.timezone))
    if local.hour < ALERT_FROM_HOUR:
        return 0
    if not org.email:
        log.warning("org %s has REPs due but no email to warn", org.pk)
        return 0
    urgent = [d for d in reps_due(org, as_of=as_of) if d.days_left <= ALERT_WITHIN_DAYS]
    claimed = [d for d in urgent if _claim(d.payment, local.date(), as_of)]
    if not claimed:
        return 0
    subject, body = alert_message(org, claimed)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [org.email])
    except Exception:
        RepAlert.objects.filter(payment__in=[d.payment for d in claimed], day=local.date()).delete()
        raise
    return len(claimed)


def _claim(payment: ReceivedPayment, day: object, as_of: datetime) -> bool:
    try:
        with transaction.atomic():
            RepAlert.objects.create(payment=payment, day=day, sent_at=as_of)
    except IntegrityError:
        return False  # already told today
    return True


def alert_message(org: Org, due: list[DueRep]) -> tuple[str, str]:
    """Subject and body (es-MX) of the email to the business."""
    overdue = sum(1 for d in due if d.overdue)
    subject = f"Complementos de pago por emitir: {len(due)}"
    if overdue:
        subject += f" ({overdue} vencidos)"
    day = settings_for(org).rep_deadline_day
    lines = [
        "Hola:",
        "",
        "Estos pagos recibidos todavía no tienen su complemento de pago (REP) timbrado. El SAT pide "
        f"emitirlo a más tardar el día {day} del mes siguiente al pago.",
        "",
    ]
    lines += [f"- {_describe(d, org)}" for d in due]
    lines += [
        "",
        "Revisa en Timbra los complementos detenidos, corrige lo que indican y reintenta. Si un pago se "
        "registró por error, anúlalo antes de que se timbre su complemento.",
        "",
        "Timbra",
    ]
    return subject, "\n".join(lines)


def _describe(due: DueRep, org: Org) -> str:
    payment, rep = due.payment, due.payment.rep_invoice
    assert rep is not None
    fecha = payment.fecha_pago.astimezone(ZoneInfo(org.timezone))
    if due.days_left < 0:
        when = f"venció hace {-due.days_left} día{'s' if due.days_left < -1 else ''}"
    elif due.days_left == 0:
        when = "vence hoy"
    else:
        when = f"vence en {due.days_left} día{'s' if due.days_left > 1 else ''}"
    reason = f" Motivo: {rep.hold_message}" if rep.hold_message else ""
    mode = "" if payment.livemode else " [modo pruebas]"
    return (
        f"Pago de {in_currency(payment.monto, payment.moneda_p)} {payment.moneda_p} de {payment.customer.nombre} ({payment.customer.rfc}), "
        f"recibido el {fecha:%d/%m/%Y}: complemento {rep.serie_folio} en estado «{rep.status_label}»; "
        f"fecha límite {due.deadline:%d/%m/%Y}, {when}.{reason}{mode}"
    )
