"""What each notice says and to whom (es-MX), or why it is not sent.

Customer notices (preview, announcement) carry the coming invoice's amounts, its period and
date, the PDF preview, and the fiscal data it will be stamped with, with the customer's signed
portal link (timbra.portal, where they correct it themselves; or `TIMBRA_PORTAL_URL` when
configured). The portal's own emails (chase loop, requested links) are composed by
timbra.portal.emails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from timbra.domain.periods import Frequency, long_date
from timbra.domain.schedule_dates import Occurrence
from timbra.notices.models import NoticeLog
from timbra.notices.preview_document import PreviewDocument, build_preview
from timbra.orgs.models import Org
from timbra.portal.links import fiscal_data_url
from timbra.schedules import selectors
from timbra.schedules.calendar import calendar_of
from timbra.schedules.models import Schedule
from timbra.schedules.preview import Estimator, PreviewInvoice
from timbra.schedules.simulation import totals

log = logging.getLogger(__name__)

DIGEST_DAYS = 7


@dataclass(frozen=True)
class Composed:
    """An email ready to send, or `skip` (why nothing is sent). `note` goes to the row's detail."""

    message: EmailMultiAlternatives | None = None
    recipients: list[str] = field(default_factory=list)
    skip: str = ""
    note: str = ""


def compose(row: NoticeLog, *, as_of: datetime) -> Composed:
    if row.kind == NoticeLog.DIGEST:
        return compose_digest(row, as_of=as_of)
    if row.kind in (NoticeLog.FISCAL_DATA_REQUEST, NoticeLog.PORTAL_LINK, NoticeLog.HELD_FISCAL_DATA):
        from timbra.portal import emails  # the portal owns its emails; it imports this app's outbox

        return emails.compose(row, as_of=as_of)
    return compose_customer_notice(row, as_of=as_of)


def compose_customer_notice(row: NoticeLog, *, as_of: datetime) -> Composed:
    """The preview (or first-invoice announcement) for cycle `row.index` of its schedule."""
    schedule = Schedule.objects.select_related("org", "customer", "plan").get(pk=row.schedule_id)
    reason = _not_sendable(schedule, row)
    if reason:
        return Composed(skip=reason)
    recipients = [email for email in schedule.customer.emails if email]
    if not recipients:
        return Composed(skip="El cliente no tiene correo registrado.")
    occurrence = calendar_of(schedule).at(row.index or 0)
    preview = Estimator(as_of=as_of).estimate(schedule, occurrence)
    if preview.error_code:
        return Composed(skip=f"No se puede calcular la factura: {preview.error_message}")
    document, note = _document(schedule, occurrence, as_of=as_of)
    message = _customer_email(row.kind, schedule, preview, document, recipients, as_of=as_of)
    return Composed(message=message, recipients=recipients, note=note)


def _not_sendable(schedule: Schedule, row: NoticeLog) -> str:
    calendar = calendar_of(schedule)
    if schedule.status != Schedule.ACTIVE:
        return f"La programación está {schedule.status_label.lower()}."
    if not calendar.is_issued(calendar.at(row.index or 0)):
        return "Ese periodo ya no se facturará (se omitió, está en pausa o es posterior al final)."
    if row.kind == NoticeLog.PREVIEW and (row.index or 0) < schedule.next_index:
        return "La factura de ese periodo ya se emitió."
    if not schedule.send_email:
        return "La programación no envía correos al cliente."
    return ""


def _document(schedule: Schedule, occurrence: Occurrence, *, as_of: datetime) -> tuple[PreviewDocument | None, str]:
    try:
        return build_preview(schedule, occurrence, as_of=as_of), ""
    except Exception as exc:  # the amounts still go out in the email body; the PDF is a bonus
        log.warning("preview PDF of schedule %s failed: %r", schedule.pk, exc)
        return None, f"Se envió sin PDF: {getattr(exc, 'message', exc)}"


def portal_url(schedule: Schedule, *, as_of: datetime) -> str:
    """Where the customer checks its fiscal data: an external portal when TIMBRA_PORTAL_URL is
    configured, else Timbra's own signed, expiring customer portal (timbra.portal)."""
    pattern = str(getattr(settings, "TIMBRA_PORTAL_URL", "") or "")
    if pattern:
        return pattern.format(customer_id=schedule.customer_id, org_id=schedule.org_id)
    return fiscal_data_url(schedule.customer, as_of=as_of)


def _customer_email(kind: str, schedule: Schedule, preview: PreviewInvoice, document: PreviewDocument | None,
                    recipients: list[str], *, as_of: datetime) -> EmailMultiAlternatives:
    org, customer = schedule.org, schedule.customer
    announcement = kind == NoticeLog.ANNOUNCEMENT
    context = {
        "org": org, "customer": customer, "preview": preview, "schedule": schedule,
        "announcement": announcement, "due_date": long_date(preview.local_date),
        "frequency": Frequency.parse(schedule.frequency).label, "uso_cfdi": schedule.uso_cfdi or customer.uso_cfdi,
        "portal_url": portal_url(schedule, as_of=as_of), "has_pdf": document is not None,
    }
    if announcement:
        subject = f"{org.nombre} programó tu facturación: primera factura el {preview.local_date:%d/%m/%Y}"
    else:
        subject = f"Vista previa de tu factura de {preview.period_label} — {org.nombre}"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("notices/customer_notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=recipients,
        reply_to=[org.email] if org.email else None,
        headers={"X-Timbra-Notice": f"{kind}:{schedule.pk}:{preview.period_key}"},
    )
    message.attach_alternative(render_to_string("notices/customer_notice.html", context), "text/html")
    if document is not None:
        message.attach(f"vista-previa_{org.rfc}_{preview.period_key}.pdf", document.pdf, "application/pdf")
    return message


def compose_digest(row: NoticeLog, *, as_of: datetime) -> Composed:
    """The business's list of what goes out in the next 7 days (live first, then test mode)."""
    org = Org.objects.get(pk=row.org_id)
    if not org.email:
        return Composed(skip="La organización no tiene correo de facturación.")
    sections = [(livemode, selectors.upcoming(org, DIGEST_DAYS, livemode=livemode, as_of=as_of))
                for livemode in (True, False)]
    sections = [(livemode, items) for livemode, items in sections if items]
    if not sections:
        return Composed(skip="Nada por emitir en los próximos 7 días.")
    count = sum(len(items) for _, items in sections)
    today = as_of.astimezone(ZoneInfo(org.timezone)).date()
    context = {
        "org": org, "count": count, "since": long_date(today), "until": long_date(today + timedelta(days=DIGEST_DAYS)),
        "sections": [{"livemode": livemode, "items": items, "totals": totals(items),
                      "problems": sum(1 for i in items if i.error_code)} for livemode, items in sections],
    }
    message = EmailMultiAlternatives(
        subject=f"{count} factura{'s' if count != 1 else ''} programada{'s' if count != 1 else ''} "
                f"en los próximos {DIGEST_DAYS} días — {org.nombre}",
        body=render_to_string("notices/digest.txt", context), from_email=settings.DEFAULT_FROM_EMAIL,
        to=[org.email], headers={"X-Timbra-Notice": f"digest:{org.pk}:{row.day}"},
    )
    message.attach_alternative(render_to_string("notices/digest.html", context), "text/html")
    return Composed(message=message, recipients=[org.email])
