"""What a person does with a held refund (issue 3): retry it once its cause is fixed, or
dismiss it as handled by hand.

A refund holds, with a Spanish reason, when crediting it would pass the invoice's total, its
currency differs from the invoice's, its payment was applied to a PPD invoice, or the Egreso
could not be created (services/credit_notes.py). Both actions are a compare-and-swap on the
refund's status (only a held refund moves), so two clicks, two tabs or an API call racing the
dashboard change it once. A retry moves the refund back to pending and runs credit_refund in
the SAME transaction: a crash rolls it back to held, never to a pending refund no sweeper
picks up; credit_refund's own claim and its conditional UPDATE of the payment's `refunded`
still guarantee one Egreso that never passes the total. Each action leaves a row on the
original invoice's timeline.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record
from timbra.payments.models import Payment, Refund
from timbra.payments.services.credit_notes import credit_refund

MAX_REASON = 500


class RefundStateError(InvoicingError):
    """The refund is not in a state the action applies to (someone else acted first)."""

    status_code = 409


def retry_refund(refund: Refund, *, actor: str, as_of: datetime) -> Refund:
    """Try a held refund's nota de crédito again, with the data as it is now.

    It may end credited, waiting for the original CFDI, or held again with the current reason
    (e.g. it would still exceed the invoice's total)."""
    if refund.credit_note_id is not None:
        raise RefundStateError(
            "refund_has_credit_note",
            "Este reembolso ya tiene su nota de crédito; la pasarela lo reportó después como fallido. "
            "Revisa si debe cancelarse y descártalo.",
        )
    with transaction.atomic():
        moved = Refund.objects.filter(pk=refund.pk, status=Refund.HELD, credit_note__isnull=True).update(
            status=Refund.PENDING, status_reason="", updated_at=as_of
        )
        if not moved:
            raise _not_held(refund, "reintentar")
        _record(refund, "refund_retry", f"{actor} pidió reintentar el {refund.kind_label.lower()} {refund.refund_id} "
                f"(estaba detenido: {refund.status_reason})", actor=actor, as_of=as_of)
        return credit_refund(refund.pk, as_of=as_of)


def dismiss_refund(refund: Refund, *, reason: str, actor: str, as_of: datetime) -> Refund:
    """Mark a held refund as handled by hand (e.g. its nota de crédito was issued elsewhere).

    Idempotent: dismissing a refund already dismissed returns it unchanged."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvoicingError("reason_required", "Escribe por qué se descarta el reembolso (por ejemplo, "
                             "«nota de crédito emitida a mano»).", field="reason")
    if len(reason) > MAX_REASON:
        raise InvoicingError("reason_too_long", f"El motivo admite hasta {MAX_REASON} caracteres.", field="reason")
    with transaction.atomic():
        moved = Refund.objects.filter(pk=refund.pk, status=Refund.HELD).update(
            status=Refund.DISMISSED, status_reason=f"Resuelto a mano por {actor}: {reason}", updated_at=as_of
        )
        if not moved:
            refund.refresh_from_db()
            if refund.status == Refund.DISMISSED:
                return refund
            raise _not_held(refund, "descartar")
        _record(refund, "refund_dismissed", f"{actor} descartó el {refund.kind_label.lower()} {refund.refund_id} de "
                f"{refund.amount} {refund.currency}: {reason}", actor=actor, as_of=as_of,
                data={"reason": reason, "held_reason": refund.status_reason})  # fmt: skip
    refund.refresh_from_db()
    return refund


def timeline_invoices(payment: Payment) -> list[Invoice]:
    """Where a refund's actions are recorded: the payment's Ingreso, or, for money applied to
    PPD invoices (no Ingreso of its own), those invoices."""
    if payment.invoice_id is not None:
        return [Invoice.objects.get(pk=payment.invoice_id)]
    if payment.received_payment_id is not None:
        return list(Invoice.objects.filter(payment_applications__payment_id=payment.received_payment_id)
                    .distinct().order_by("pk"))
    return []


def _record(refund: Refund, kind: str, message: str, *, actor: str, as_of: datetime,
            data: dict[str, str] | None = None) -> None:
    for invoice in timeline_invoices(refund.payment):
        record(invoice, kind, as_of=as_of, actor=actor, message=message,
               data={"refund_id": refund.refund_id, **(data or {})})


def _not_held(refund: Refund, verb: str) -> RefundStateError:
    current = Refund.objects.get(pk=refund.pk)
    label = current.get_status_display()
    return RefundStateError("refund_not_held", f"Solo un reembolso detenido se puede {verb}; este ya está "
                            f"«{label}».")
