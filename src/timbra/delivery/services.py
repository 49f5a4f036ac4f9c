"""Deliver a stamped invoice: render its PDF and email PDF + XML to the customer.

One outbox row per (invoice, channel), created in the same transaction as the stamp.
SMTP cannot promise exactly-once (RFC 1047: a drop after DATA "." may duplicate a
message), so delivery is at-least-once and deduplicated on our side: a row marked sent
is never sent again, and the subject carries the UUID so a rare duplicate is harmless.
"""

from __future__ import annotations

import secrets
import smtplib
from datetime import datetime, timedelta
from email.message import Message

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string

from timbra import jobs
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.documents import render_documents, render_pdf_for, store_pdf
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import LostRace, event, move, record, record_events
from timbra.portal.links import fiscal_data_url

MAX_ATTEMPTS = 8


# How long a delivery row created already claimed (by the worker that stamped the invoice and
# sends right after) stays off-limits to other workers; the sweeper takes over after it.
CLAIM_LEASE = timedelta(minutes=2)


def plan_deliveries(invoice: Invoice, *, as_of: datetime, claimed: bool = False) -> list[Delivery]:
    """Create the outbox rows for a just-stamped invoice, inside the transaction that won the
    sealed → stamped compare-and-swap (so exactly once; the unique constraint backs it).

    `claimed`: the caller sends right after the commit, so the rows are born with its first
    attempt counted and leased to it (the claim `_send_email` would otherwise write on its own).
    The returned rows still show 0 attempts: the caller's attempt is the one in flight."""
    recipients = [e for e in invoice.customer.emails if e] if invoice.send_email else []
    status = Delivery.PENDING if recipients else Delivery.SKIPPED
    leased = claimed and status == Delivery.PENDING
    delivery = Delivery.objects.create(
        invoice=invoice,
        channel="email",
        recipients=recipients,
        status=status,
        attempts=1 if leased else 0,
        created_at=as_of,
        next_attempt_at=as_of + CLAIM_LEASE if leased else as_of,
    )
    delivery.attempts, delivery.next_attempt_at = 0, as_of
    return [delivery] if leased else []


def deliver_invoice(invoice_id: int, *, as_of: datetime) -> Invoice:
    """Render the PDF, send every pending channel, then mark the invoice delivered."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice_id)
    return deliver(invoice, as_of=as_of)


def deliver(invoice: Invoice, *, as_of: datetime, stamped_xml: bytes | None = None,
            claimed: list[Delivery] | None = None) -> Invoice:
    """`deliver_invoice` on a loaded invoice. The worker that just stamped it passes the stamped
    bytes and the rows `plan_deliveries` created claimed for it (nothing to read back or claim).

    The PDF, the "sent" marks and the move to delivered commit together in one transaction
    (a burst on SQLite has one writer at a time, so fewer write transactions is throughput)."""
    if invoice.status != InvoiceStatus.STAMPED:
        return invoice
    ours = {d.pk for d in claimed or []}
    try:
        if claimed is not None and stamped_xml is not None:
            pdf, xml, new_pdf, pending = render_pdf_for(invoice, stamped_xml), stamped_xml, True, claimed
        else:
            pdf, xml, new_pdf = render_documents(invoice)
            pending = list(Delivery.objects.filter(invoice=invoice, status=Delivery.PENDING))
        sent = [d for d in pending if (d.pk in ours or _due(d, as_of))
                and _send_email(invoice, d, pdf, xml, as_of=as_of, claimed=d.pk in ours)]
    except Exception:
        # Give up our lease so the retry job does not wait for it to run out.
        Delivery.objects.filter(pk__in=ours, status=Delivery.PENDING).update(next_attempt_at=as_of)
        raise
    with transaction.atomic():
        if new_pdf:
            store_pdf(invoice, pdf)
        sent_events = []
        for delivery in sent:
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SENT, sent_at=as_of, last_error="")
            sent_events.append(
                event(invoice, "email_sent", as_of=as_of, message=f"Correo enviado a {', '.join(delivery.recipients)}.")
            )
        if len(sent) == len(pending):
            try:  # no savepoint needed: a lost compare-and-swap raises before writing anything
                move(invoice, InvoiceStatus.DELIVERED, as_of=as_of, kind="delivered", message=_delivered_message(sent),
                     earlier=sent_events)
                sent_events = []
            except LostRace:
                invoice.refresh_from_db(fields=["status", "status_changed_at"])
        record_events(sent_events)
    return invoice


def _due(delivery: Delivery, as_of: datetime) -> bool:
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= as_of


def _delivered_message(sent: list[Delivery]) -> str:
    if sent:
        return f"PDF y XML enviados por correo a {', '.join(sent[0].recipients)}."
    return "PDF generado; no se envió correo (sin destinatarios o envío desactivado)."


def _send_email(invoice: Invoice, delivery: Delivery, pdf: bytes, xml: bytes, *, as_of: datetime,
                claimed: bool = False) -> bool:
    """Send one email; True when the SMTP server (or outbox) accepted it."""
    # Claim the row (unless it was born claimed by us): only one worker moves attempts from n
    # to n+1, the loser skips.
    if not claimed and not Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.PENDING, attempts=delivery.attempts
    ).update(attempts=F("attempts") + 1):
        return False
    try:
        build_email(invoice, delivery.recipients, pdf, xml, as_of=as_of).send()
    except smtplib.SMTPResponseException as exc:
        _failed(invoice, delivery, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500, as_of=as_of)
        return False
    except (OSError, smtplib.SMTPException) as exc:
        _failed(invoice, delivery, str(exc), permanent=False, as_of=as_of)
        return False
    return True


def _failed(invoice: Invoice, delivery: Delivery, error: str, *, permanent: bool, as_of: datetime) -> None:
    attempts = delivery.attempts + 1
    if permanent or attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.FAILED, last_error=error[:2000])
        record(invoice, "email_failed", as_of=as_of,
               message=f"No se pudo entregar el correo: {error}. Revisa el correo del cliente y reenvía.")
        return
    delay = timedelta(seconds=min(60 * 2 ** (attempts - 1), 3600))
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=as_of + delay, last_error=error[:2000])
    record(invoice, "email_retry", as_of=as_of,
           message=f"El servidor de correo falló ({error}); se reintentará en {int(delay.total_seconds())} s.")
    jobs.enqueue("delivery.send", invoice_id=invoice.pk, delay=delay.total_seconds())


class InvoiceEmail(EmailMultiAlternatives):
    """Django's multipart email with its MIME boundaries chosen up front.

    Left unset, Python's generator picks a boundary by scanning every part (the base64 PDF
    included) with a freshly compiled regex, per multipart, to rule out a collision. "=_" can
    appear neither in base64 nor in quoted-printable text, and 128 random bits cannot be
    guessed or hit by chance in our own 8-bit text parts, so no scan is needed."""

    def message(self) -> Message:
        msg: Message = super().message()
        for part in msg.walk():
            if part.is_multipart():
                part.set_boundary(f"=_{secrets.token_hex(16)}")
        return msg


# c_TipoDeComprobante → (what the subject calls it, the template under delivery/). E (Egreso) is a
# nota de crédito (refunds, issue 3); P, a REP (issue 4).
EMAIL_KINDS = {
    "I": ("Factura", "invoice_email"),
    "P": ("Comprobante de pago", "rep_email"),
    "E": ("Nota de crédito", "credit_note_email"),
}


def build_email(invoice: Invoice, recipients: list[str], pdf: bytes, xml: bytes, *,
                as_of: datetime | None = None) -> InvoiceEmail:
    """The Spanish email with the PDF and XML attached (a REP gets its own wording: its CFDI
    total is 0 XXX by definition, the amount that matters is the payment's). With `as_of`, it
    also carries the customer's signed portal link (their data and every invoice, issue 12)."""
    context = {"invoice": invoice, "org": invoice.org, "customer": invoice.customer,
               "portal_url": fiscal_data_url(invoice.customer, as_of=as_of) if as_of is not None else ""}
    name = f"{invoice.org.rfc}_{invoice.serie}{invoice.folio}_{invoice.uuid}"
    kind, template = EMAIL_KINDS.get(invoice.tipo_de_comprobante, EMAIL_KINDS["I"])
    if invoice.tipo_de_comprobante == "P":
        context["payment"] = getattr(invoice, "received_payment", None)
    message = InvoiceEmail(
        # A comma, not a dash: an all-ASCII subject is sent as plain text, where a single "—" has
        # the whole line RFC 2047-encoded, by an encoder quadratic in its length. (Accented names
        # and "Nota de crédito" are still encoded, and still correct.)
        subject=f"{kind} {invoice.serie_folio} de {invoice.org.nombre}, folio fiscal {invoice.uuid}",
        body=render_to_string(f"delivery/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[invoice.org.email] if invoice.org.email else None,
        headers={"X-Timbra-Invoice": str(invoice.uuid)},
    )
    message.attach_alternative(render_to_string(f"delivery/{template}.html", context), "text/html")
    message.attach(f"{name}.pdf", pdf, "application/pdf")
    message.attach(f"{name}.xml", xml, "application/xml")
    return message
