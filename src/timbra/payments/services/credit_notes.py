"""credit_refund: turn a recorded refund into its Egreso (nota de crédito), exactly once.

The Egreso relates the payment's stamped Ingreso (TipoRelacion 01), for the refunded amount
split over the Ingreso's lines so each tax keeps its proportion, with the Ingreso's forma de
pago, PUE and uso G02 (invoicing/egreso.py, shared with hand-made credit notes). Three keys make it exactly-once whatever
runs it (the event, the sweeper, two workers at once): the refund's status moves out of
pending/waiting by a compare-and-swap; in the same transaction the payment's `refunded`
total grows by a conditional UPDATE that can never pass the Ingreso's total (the refunds
of one payment add up and never exceed it); and the Egreso's business key is
(org, provider, "refund:<id>"). A crash anywhere rolls the three back together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import F, Value

from timbra.domain.money import to_minor
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.selectors import receipt_in_global
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.cancel_settings import settings_for
from timbra.invoicing.create import create_invoice
from timbra.invoicing.egreso import egreso_request, reserve_credit
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record
from timbra.payments.models import Payment, Refund

_CREDITABLE = (Refund.PENDING, Refund.WAITING)
MOTIVE_OPERATION_UNDONE = "03"  # c_Motivo «No se llevó a cabo la operación»
# Payments that will never have an Ingreso of their own: no nota de crédito to issue.
_NO_INGRESO = {
    Payment.NOT_INVOICED: (Refund.VOID, "El pago no se facturó: su reembolso no lleva nota de crédito."),
    Payment.APPLIED: (
        Refund.HELD,
        "El pago se aplicó a una factura PPD (complemento de pago): la nota de crédito de su reembolso "
        "se emite a mano.",
    ),
}


class _Exceeds(Exception):
    """The refund would take the payment's refunds past the invoice's total."""


def credit_refund(refund_pk: int, *, as_of: datetime) -> Refund:
    """Issue the refund's Egreso if it can go now; else record (in Spanish) what it waits for."""
    refund = Refund.objects.select_related("org", "payment__invoice").get(pk=refund_pk)
    if refund.status not in _CREDITABLE:
        return refund
    if refund.gateway_status != "succeeded":
        return _set(refund, Refund.PENDING, "La pasarela todavía no confirma el reembolso.", as_of=as_of)
    original, receipt_number, ceiling = _original(refund.payment)
    if original is None and refund.payment.status in _NO_INGRESO:
        return _set(refund, *_NO_INGRESO[refund.payment.status], as_of=as_of)
    if original is None or not original.uuid:
        return _set(refund, Refund.WAITING, _waiting_reason(refund.payment, original), as_of=as_of)
    if problem := _unfit(refund, original):
        return _set(refund, Refund.HELD, problem, as_of=as_of)
    if receipt_number is None and _cancels_instead(refund, original, as_of=as_of):
        return _reload(refund)
    try:
        request = credit_note_request(refund, original, as_of=as_of, receipt_number=receipt_number)
        with transaction.atomic():
            if not _claim(refund, as_of=as_of):
                return _reload(refund)  # another worker credited it
            _reserve(refund, original, ceiling)
            egreso = create_invoice(
                refund.org, request, livemode=refund.livemode, as_of=as_of, actor=refund.provider
            )
            Refund.objects.filter(pk=refund.pk).update(credit_note=egreso)
            record(
                original,
                "credit_note",
                as_of=as_of,
                actor=refund.provider,
                message=f"Nota de crédito {egreso.serie_folio} por {refund.amount} {refund.currency} "
                f"({_what(refund)} {refund.refund_id}).",
                data={"refund_id": refund.refund_id, "credit_note_id": egreso.pk},
            )
    except _Exceeds:
        return _hold_exceeding(refund, original, as_of=as_of)
    except InvoicingError as exc:
        return _set(refund, Refund.HELD, f"No se pudo crear la nota de crédito: {exc.message}", as_of=as_of)
    return _reload(refund)


def _original(payment: Payment) -> tuple[Invoice | None, str | None, Decimal]:
    """The CFDI a refund of `payment` credits: its own Ingreso, or the factura global that took
    its receipt (then only that receipt's conceptos, and at most that receipt's amount)."""
    if payment.invoice is not None:
        return payment.invoice, None, payment.invoice.total
    receipt = receipt_in_global(payment)
    if receipt is None or receipt.global_invoice is None:
        return None, None, Decimal(0)
    return receipt.global_invoice, receipt.number, receipt.amount


def credit_note_request(
    refund: Refund, original: Invoice, *, as_of: datetime, receipt_number: str | None = None
) -> InvoiceInput:
    """The Egreso for `refund` against the stamped `original`, whose Total is the refund. Against a
    factura global, `receipt_number` picks the refunded receipt's conceptos."""
    return egreso_request(original, refund.amount, label=_label(refund), source=refund.provider,
                          source_id=f"refund:{refund.refund_id}", as_of=as_of, receipt_number=receipt_number)


def _cancels_instead(refund: Refund, original: Invoice, *, as_of: datetime) -> bool:
    """Issue 11: a refund of the whole charge cancels the Ingreso at the SAT (motive 03, the operation
    did not happen) instead of crediting it, when the org chose so. False (credit as usual) when it
    is not the whole invoice, something was credited already, or the SAT would refuse the cancellation."""
    if refund.amount != original.total or original.credited or not settings_for(refund.org).cancel_on_full_refund:
        return False
    reason = (f"Se reembolsó todo el cobro ({_what(refund)} {refund.refund_id}): se pidió al SAT cancelar la factura "
              f"{original.serie_folio} (motivo 03) en lugar de emitir nota de crédito.")
    try:
        with transaction.atomic():
            if Refund.objects.filter(pk=refund.pk, status__in=_CREDITABLE, credit_note__isnull=True).update(
                status=Refund.VOID, status_reason=reason, updated_at=as_of
            ):
                request_cancellation(original, motivo=MOTIVE_OPERATION_UNDONE, actor=refund.provider, as_of=as_of,
                                     reason=reason)
    except InvoicingError:
        return False
    return True


def _claim(refund: Refund, *, as_of: datetime) -> bool:
    return bool(
        Refund.objects.filter(pk=refund.pk, status__in=_CREDITABLE, credit_note__isnull=True).update(
            status=Refund.CREDITED, status_reason="", updated_at=as_of
        )
    )


def _reserve(refund: Refund, original: Invoice, total: Decimal) -> None:
    # The conditional UPDATEs are the guarantee: two refunds credited at once both re-check
    # `refunded` under the row's write lock, so the sum never passes `total` (the Ingreso's, or the
    # receipt's within a factura global); the CFDI's `credited` is the same cap shared with
    # hand-made credit notes (issue 11).
    ceiling = total - refund.amount
    added = Value(to_minor(refund.amount, 2), output_field=models.BigIntegerField())
    if not Payment.objects.filter(pk=refund.payment_id, refunded__lte=ceiling).update(
        refunded=F("refunded") + added
    ):
        raise _Exceeds
    if not reserve_credit(original, refund.amount):
        raise _Exceeds


def _unfit(refund: Refund, original: Invoice) -> str:
    if original.status in (InvoiceStatus.CANCELLED, InvoiceStatus.CANCELLATION_PENDING):
        return "La factura original está cancelada (o en cancelación): no admite nota de crédito. Revisa el reembolso."
    if refund.currency != original.moneda:
        return f"El reembolso es en {refund.currency} y la factura en {original.moneda}; revísalo a mano."
    if refund.amount <= 0:
        return "El reembolso no tiene importe."
    return ""


def _hold_exceeding(refund: Refund, original: Invoice, *, as_of: datetime) -> Refund:
    payment = Payment.objects.get(pk=refund.payment_id)
    reason = (
        f"El reembolso de {refund.amount} {refund.currency} haría que lo devuelto supere el total de la "
        f"factura {original.serie_folio} ({original.total}; ya acreditado: {payment.refunded}). "
        "No se emitió nota de crédito; revísalo."
    )
    refund = _set(refund, Refund.HELD, reason, as_of=as_of)
    record(original, "refund_held", as_of=as_of, actor=refund.provider, message=reason,
           data={"refund_id": refund.refund_id})  # fmt: skip
    return refund


def _waiting_reason(payment: Payment, original: Invoice | None) -> str:
    if original is None:
        state = dict(Payment.STATUSES).get(payment.status, payment.status).lower()
        return f"La nota de crédito espera la factura del pago (pago {state})."
    return (
        f"La nota de crédito espera que la factura {original.serie_folio} se timbre "
        f"(está {original.status_label.lower()})."
    )


def _what(refund: Refund) -> str:
    return "contracargo perdido" if refund.kind == "dispute_lost" else "reembolso"


def _label(refund: Refund) -> str:
    return "Contracargo" if refund.kind == "dispute_lost" else "Devolución"


def _set(refund: Refund, status: str, reason: str, *, as_of: datetime) -> Refund:
    Refund.objects.filter(pk=refund.pk, status__in=(*_CREDITABLE, Refund.HELD)).update(
        status=status, status_reason=reason, updated_at=as_of
    )
    return _reload(refund)


def _reload(refund: Refund) -> Refund:
    refund.refresh_from_db()
    return refund
