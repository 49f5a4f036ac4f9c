"""Process one stored webhook event: what payment it is about, and that payment's invoice.

Idempotent and safe to run twice at once: it takes the event's id, re-reads everything,
no-ops on an event already processed or ignored, and every write lands on a unique key
(Payment per gateway money, Invoice per (org, source, source_id)). A crash mid-way leaves
the event open; running it again finishes the work without a second invoice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import F, Q

from timbra import jobs
from timbra.domain.concept_rules import MAX_IMPORTE
from timbra.payments.gateways.base import GatewayUnavailable, NormalizedPayment, Skip
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.adapters import adapter_for
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.payments.services.lifecycle import handle_lifecycle
from timbra.payments.services.record_payment import record_payment
from timbra.payments.services.sweep_events import MAX_ATTEMPTS

log = logging.getLogger(__name__)


def process_event(event_id: int, *, as_of: datetime) -> WebhookEvent:
    """Turn stored event `event_id` into a payment and its invoice (or say why not)."""
    event = WebhookEvent.objects.select_related("connection", "org").get(pk=event_id)
    if event.status not in WebhookEvent.OPEN:
        return event
    try:
        return _process(event, as_of=as_of)
    except GatewayUnavailable:
        _finish(
            event,
            WebhookEvent.FAILED,
            "No se pudo consultar la API de la pasarela; se reintentará.",
            as_of=as_of,
        )
        raise
    except Exception as exc:
        # Visible on the events page, then re-raised so the job's retries run it again; after
        # MAX_ATTEMPTS the sweeper stops (poison work is held, issue 14 §1) and the reason says so.
        if event.attempts + 1 >= MAX_ATTEMPTS:
            reason = (f"Error inesperado al procesar el evento ({type(exc).__name__}) en {MAX_ATTEMPTS} "
                      "intentos; ya no se reintenta solo. Revísalo y usa «Reprocesar» cuando se corrija.")
        else:
            reason = f"Error inesperado al procesar el evento ({type(exc).__name__}); se reintentará."
        _finish(event, WebhookEvent.FAILED, reason, as_of=as_of)
        raise


def _process(event: WebhookEvent, *, as_of: datetime) -> WebhookEvent:
    connection = event.connection
    if event.livemode != connection.livemode:
        mode = "real" if event.livemode else "de pruebas"
        return _finish(
            event,
            WebhookEvent.IGNORED,
            f"Evento en modo {mode} recibido en una conexión de otro modo.",
            as_of=as_of,
        )
    adapter = adapter_for(connection)
    outcome = adapter.normalize(adapter.parse_stored(event.payload))
    if isinstance(outcome, Skip):
        return _finish(event, outcome.status, outcome.reason, as_of=as_of, waiting_on=outcome.waiting_on)
    if not isinstance(outcome, NormalizedPayment):  # refunds, disputes, voids, customer changes
        done = handle_lifecycle(connection, outcome, as_of=as_of)
        return _finish(event, done.status, done.reason, as_of=as_of, payment=done.payment, waiting_on=done.waiting_on)
    if (too_big := _beyond_a_cfdi(outcome)) is not None:
        return _finish(event, WebhookEvent.REJECTED, too_big, as_of=as_of)
    payment = record_payment(connection, outcome, as_of=as_of)
    payment = invoice_payment(payment.pk, as_of=as_of)
    _wake_waiting(event, outcome)
    # A payment that could not be invoiced (bad configuration) keeps its event open to re-process.
    status = WebhookEvent.FAILED if payment.status == Payment.FAILED else WebhookEvent.PROCESSED
    return _finish(event, status, _summary(payment), as_of=as_of, payment=payment)


def _beyond_a_cfdi(payment: NormalizedPayment) -> str | None:
    """Why an amount no CFDI can carry is refused at the edge (issue 14 §1), or None: stored, it
    would overflow the database's integers or end as an invoice the PAC must reject."""
    amounts = [payment.amount, *(line.amount for line in payment.lines)]
    if all(abs(amount) < MAX_IMPORTE for amount in amounts):
        return None
    return (f"El importe {payment.amount} {payment.currency} excede lo que un CFDI puede amparar "
            f"(menos de {MAX_IMPORTE:,}); no se registra el pago.")


def _summary(payment: Payment) -> str:
    if payment.status == Payment.INVOICED:
        return "Pago facturado."
    if payment.status == Payment.AWAITING_FISCAL_DATA:
        return f"Pago registrado; espera los datos fiscales del cliente. {payment.status_reason}"
    return payment.status_reason or "Pago registrado."


def _wake_waiting(event: WebhookEvent, payment: NormalizedPayment) -> None:
    """Events about this money that waited for what this one just recorded can go now."""
    ids = [i for i in (payment.charge_id, payment.payment_intent_id, payment.gateway_invoice_id) if i]
    waiting = (
        WebhookEvent.objects.filter(connection_id=event.connection_id, status=WebhookEvent.WAITING)
        .filter(Q(object_id__in=ids) | Q(waiting_on__in=ids))
        .exclude(pk=event.pk)
        .values_list("pk", flat=True)
    )
    for waiting_id in waiting:
        jobs.enqueue_on_commit("payments.process_event", event_id=waiting_id)


def _finish(
    event: WebhookEvent,
    status: str,
    reason: str,
    *,
    as_of: datetime,
    payment: Payment | None = None,
    waiting_on: str = "",
) -> WebhookEvent:
    fields = {
        "status": status,
        "reason": reason,
        "processed_at": as_of,
        "attempts": F("attempts") + 1,
        "waiting_on": waiting_on,
    }
    if payment is not None:
        fields |= {"payment": payment, "invoice_id": payment.invoice_id}
    # Conditional: a worker that finished first (processed/ignored) is never overwritten.
    WebhookEvent.objects.filter(pk=event.pk, status__in=WebhookEvent.OPEN).update(**fields)
    event.refresh_from_db()
    return event
