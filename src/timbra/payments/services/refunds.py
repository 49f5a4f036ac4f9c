"""Record what a gateway says about refunds, and credit each one with its Egreso.

A refund meets its payment by the payment's key (or its charge / PaymentIntent id); one that
arrives before its payment waits in the inbox (waiting_on = the charge) and the payment's
event wakes it (process_event._wake_waiting). Once recorded (unique per org, provider,
refund id), the refund waits, if it must, for the payment's CFDI to be stamped: the sweeper
(`requeue_ready_refunds`) and `wake_refunds_of_invoice` (to call right after a stamp) credit
it then. Duplicate and out-of-order events merge forward-only: a pending refund becomes
succeeded, a failed one never issues a CFDI, and fees only fill blanks.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum

from timbra import jobs
from timbra.payments.gateways.base import NormalizedRefund, RefundBatch
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.services.credit_notes import credit_refund
from timbra.payments.services.handled import Handled

_FILL_IF_BLANK = ("balance_transaction_id", "settlement_currency", "reason")
_FILL_IF_NONE = ("fee", "net")
BATCH = 200


def apply_refunds(
    connection: GatewayConnection, outcome: NormalizedRefund | RefundBatch, *, as_of: datetime
) -> Handled:
    """Record the refunds an event reports and credit those that can be credited now."""
    batch = outcome if isinstance(outcome, RefundBatch) else _single(outcome)
    payment = find_payment(connection, batch.payment_key, batch.charge_id, batch.payment_intent_id)
    charge = batch.charge_id or batch.payment_key
    if payment is None:
        return Handled(
            WebhookEvent.WAITING,
            f"El reembolso llegó antes que su cobro ({charge}); se procesa cuando llegue el cobro.",
            waiting_on=charge,
        )
    rows, changed = [], False
    for item in batch.refunds:
        row, created = record_refund(connection, payment, item, as_of=as_of)
        credited = credit_refund(row.pk, as_of=as_of)
        changed |= created or credited.status != row.status
        rows.append(credited)
    if changed:
        # Events about this money that waited for these refunds (a charge.refunded whose
        # list was missing, a pending refund now confirmed) can finish. Only on a change, so
        # waiting events never wake each other in a loop.
        wake_events_waiting_on(connection, [payment.key, payment.charge_id])
    return _result(payment, rows, batch)


def _single(refund: NormalizedRefund) -> RefundBatch:
    return RefundBatch(
        provider=refund.provider,
        livemode=refund.livemode,
        currency=refund.currency,
        refunds=(refund,),
        payment_key=refund.payment_key,
        charge_id=refund.charge_id,
        payment_intent_id=refund.payment_intent_id,
    )


def find_payment(
    connection: GatewayConnection, key: str, charge_id: str = "", pi_id: str = ""
) -> Payment | None:
    """The payment a refund or dispute is about, in this connection's org."""
    ids = [i for i in (key, pi_id) if i]
    match = Q(key__in=ids) if ids else Q(pk__in=[])
    if charge_id:
        match |= Q(charge_id=charge_id) | Q(key=charge_id)
    return (
        Payment.objects.filter(org_id=connection.org_id, provider=connection.provider).filter(match).first()
    )


def record_refund(
    connection: GatewayConnection, payment: Payment, refund: NormalizedRefund, *, as_of: datetime
) -> tuple[Refund, bool]:
    """The Refund row for `refund.refund_id`, created (True) or merged with what this event adds."""
    rows = Refund.objects.filter(
        org_id=connection.org_id, provider=refund.provider, refund_id=refund.refund_id
    )
    existing = rows.first()
    if existing is None:
        try:
            with transaction.atomic():
                values = _values(connection, payment, refund)
                return Refund.objects.create(**values, created_at=as_of, updated_at=as_of), True
        except IntegrityError:
            existing = rows.first()  # a concurrent worker recorded it first
            if existing is None:
                raise
    return _merge(existing, refund, as_of=as_of), False


def _values(connection: GatewayConnection, payment: Payment, refund: NormalizedRefund) -> dict[str, object]:
    return {
        "org_id": connection.org_id,
        "connection": connection,
        "livemode": connection.livemode,
        "provider": refund.provider,
        "refund_id": refund.refund_id,
        "kind": refund.kind,
        "payment": payment,
        "currency": refund.currency,
        "amount": refund.amount,
        "gateway_status": refund.status,
        "refunded_at": refund.refunded_at,
        "status": _initial_status(refund),
        "status_reason": _void_reason(refund) if refund.status in ("failed", "canceled") else "",
        **{name: getattr(refund, name) for name in (*_FILL_IF_BLANK, *_FILL_IF_NONE)},
    }


def _initial_status(refund: NormalizedRefund) -> str:
    return Refund.VOID if refund.status in ("failed", "canceled") else Refund.PENDING


def _void_reason(refund: NormalizedRefund) -> str:
    word = "falló" if refund.status == "failed" else "se canceló"
    return f"El reembolso {word} en la pasarela: no genera nota de crédito."


def _merge(row: Refund, refund: NormalizedRefund, *, as_of: datetime) -> Refund:
    changes: dict[str, object] = {
        n: getattr(refund, n) for n in _FILL_IF_BLANK if getattr(refund, n) and not getattr(row, n)
    }
    changes |= {
        n: getattr(refund, n)
        for n in _FILL_IF_NONE
        if getattr(refund, n) is not None and getattr(row, n) is None
    }
    rows = Refund.objects.filter(pk=row.pk)
    if refund.status == "succeeded" and row.gateway_status == "pending":
        changes["gateway_status"] = "succeeded"  # forward only: pending → succeeded
    elif refund.status in ("failed", "canceled") and row.gateway_status != refund.status:
        changes["gateway_status"] = refund.status
        # Before its Egreso: no CFDI at all. After: a person decides (cancel the Egreso?).
        rows.filter(status__in=(Refund.PENDING, Refund.WAITING)).update(
            status=Refund.VOID, status_reason=_void_reason(refund), updated_at=as_of
        )
        rows.filter(status=Refund.CREDITED).update(
            status=Refund.HELD,
            status_reason=_void_reason(refund).replace("no genera", "ya se había emitido la")
            + "; revisa si debe cancelarse.",
            updated_at=as_of,
        )
    if changes:
        rows.update(**changes, updated_at=as_of)
    row.refresh_from_db()
    return row


def _result(payment: Payment, rows: list[Refund], batch: RefundBatch) -> Handled:
    known = (
        Refund.objects.filter(payment=payment)
        .exclude(gateway_status__in=("failed", "canceled"))
        .aggregate(s=Sum("amount"))["s"]
    )
    known = known or 0
    invoice_id = next((r.credit_note_id for r in rows if r.credit_note_id), None)
    if batch.amount_refunded is not None and known < batch.amount_refunded:
        return Handled(
            WebhookEvent.WAITING,
            f"La pasarela reporta {batch.amount_refunded} {batch.currency} reembolsados y Timbra conoce "
            f"{known}; se esperan los eventos de los reembolsos que faltan (refund.created).",
            payment=payment,
            waiting_on=batch.charge_id or payment.key,
        )
    waiting = [r for r in rows if r.status in (Refund.WAITING, Refund.PENDING)]
    if waiting:
        return Handled(
            WebhookEvent.WAITING, waiting[0].status_reason, payment=payment, waiting_on=payment.key
        )
    held = [r for r in rows if r.status == Refund.HELD]
    if held:
        return Handled(
            WebhookEvent.PROCESSED,
            f"Reembolso detenido: {held[0].status_reason}",
            payment,
            invoice_id=invoice_id,
        )
    if any(r.status == Refund.CREDITED for r in rows):
        return Handled(
            WebhookEvent.PROCESSED,
            "Reembolso registrado; nota de crédito emitida.",
            payment,
            invoice_id=invoice_id,
        )
    if rows and all(r.status == Refund.VOID for r in rows):
        return Handled(WebhookEvent.PROCESSED, rows[0].status_reason, payment)
    return Handled(WebhookEvent.PROCESSED, "Reembolsos registrados.", payment)


# --- waking what waits ---------------------------------------------------------------------------


def wake_events_waiting_on(connection: GatewayConnection, ids: list[str]) -> int:
    """Re-queue the connection's waiting events about `ids` (a refund was just recorded or
    credited, or the payment's CFDI was stamped)."""
    ids = [i for i in ids if i]
    waiting = WebhookEvent.objects.filter(
        connection_id=connection.pk, status=WebhookEvent.WAITING, waiting_on__in=ids
    )
    event_ids = list(waiting.values_list("pk", flat=True)[:BATCH])
    for event_id in event_ids:
        jobs.enqueue_on_commit("payments.process_event", event_id=event_id)
    return len(event_ids)


def wake_refunds_of_invoice(invoice_id: int, *, as_of: datetime) -> int:
    """Call after an Ingreso is stamped: credit the refunds that waited for it."""
    return _credit_ready(Refund.objects.filter(payment__invoice_id=invoice_id), as_of=as_of)


def requeue_ready_refunds(*, as_of: datetime) -> int:
    """The sweeper's part: refunds waiting for a CFDI that has been stamped since."""
    return _credit_ready(Refund.objects.all(), as_of=as_of)


def _credit_ready(refunds: QuerySet[Refund], *, as_of: datetime) -> int:
    ready = list(
        refunds.filter(status=Refund.WAITING)
        .filter(
            Q(payment__invoice__uuid__isnull=False)
            | Q(payment__receipt__status="in_global", payment__receipt__global_invoice__uuid__isnull=False)
        )
        .select_related("connection", "payment")
        .order_by("pk")[:BATCH]
    )
    for refund in ready:
        credit_refund(refund.pk, as_of=as_of)
        wake_events_waiting_on(refund.connection, [refund.payment.key, refund.payment.charge_id])
    return len(ready)
