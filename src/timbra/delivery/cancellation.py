"""notify_cancellation: email the customer that the SAT cancelled a CFDI they received (issue 11).

Exactly once: the outbox row (invoice, "cancellation_email") is unique, and only the worker that
claims it (a compare-and-swap that leases it for two minutes) sends. The SAT's acknowledgement
the PAC relayed (acuse) is attached when there is one.
"""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string

from timbra.delivery.models import Delivery
from timbra.domain.cancellation import MOTIVOS
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.transitions import record

CHANNEL = "cancellation_email"
CLAIM_LEASE = timedelta(minutes=2)


def notify_cancellation(invoice_id: int, *, as_of: datetime) -> Delivery | None:
    """Send the acknowledgement of a cancelled CFDI; no-op when already sent or not cancelled."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice_id)
    if invoice.status != InvoiceStatus.CANCELLED or not invoice.uuid:
        return None
    delivery = _outbox_row(invoice, as_of=as_of)
    if delivery.status != Delivery.PENDING:
        return delivery
    # Claim it with a lease: only one worker finds it due and pushes its next attempt past the send.
    if not Delivery.objects.filter(pk=delivery.pk, status=Delivery.PENDING, next_attempt_at__lte=as_of).update(
        attempts=F("attempts") + 1, next_attempt_at=as_of + CLAIM_LEASE
    ):
        return delivery  # another worker is sending it
    try:
        _message(invoice, delivery.recipients).send()
    except (OSError, smtplib.SMTPException) as exc:
        # Give the lease back so the job's retry may claim it again.
        Delivery.objects.filter(pk=delivery.pk).update(last_error=str(exc)[:2000], next_attempt_at=as_of)
        raise
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.SENT, sent_at=as_of, last_error="")
        record(invoice, "cancellation_email_sent", as_of=as_of,
               message=f"Aviso de cancelación enviado a {', '.join(delivery.recipients)}.")
    delivery.refresh_from_db()
    return delivery


def _outbox_row(invoice: Invoice, *, as_of: datetime) -> Delivery:
    recipients = [e for e in invoice.customer.emails if e] if invoice.send_email else []
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                invoice=invoice, channel=CHANNEL, recipients=recipients,
                status=Delivery.PENDING if recipients else Delivery.SKIPPED, created_at=as_of, next_attempt_at=as_of,
            )
    except IntegrityError:
        return Delivery.objects.get(invoice=invoice, channel=CHANNEL)


def _message(invoice: Invoice, recipients: list[str]) -> EmailMessage:
    context = {"invoice": invoice, "org": invoice.org, "customer": invoice.customer,
               "motivo": MOTIVOS.get(invoice.cancellation_motive, "")}
    message = EmailMessage(
        subject=f"Cancelación del CFDI {invoice.serie_folio} de {invoice.org.nombre}, folio fiscal {invoice.uuid}",
        body=render_to_string("delivery/cancellation_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[invoice.org.email] if invoice.org.email else None,
        headers={"X-Timbra-Invoice": str(invoice.uuid)},
    )
    acuse = InvoiceDocument.objects.filter(invoice=invoice).values_list("cancellation_acuse", flat=True).first()
    if acuse:
        message.attach(f"{invoice.org.rfc}_{invoice.serie}{invoice.folio}_{invoice.uuid}_acuse_cancelacion.xml",
                       bytes(acuse), "application/xml")
    return message
