"""credit_refund: turn a recorded refund into its Egreso (nota de crédito), exactly once.

The Egreso relates the payment's stamped Ingreso (TipoRelacion 01), for the refunded amount
split over the Ingreso's lines so each tax keeps its proportion, with the Ingreso's forma de
pago, PUE and uso G02 (domain/credit_notes.py). Three keys make it exactly-once whatever
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

from timbra.domain import credit_notes, tax_presets
from timbra.domain.money import round_amount, to_minor
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.selectors import receipt_in_global
from timbra.invoicing.create import create_invoice, prepare_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice, InvoiceLine
from timbra.invoicing.transitions import record
from timbra.payments.models import Payment, Refund

_CREDITABLE = (Refund.PENDING, Refund.WAITING)
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
    try:
        request = credit_note_request(refund, original, as_of=as_of, receipt_number=receipt_number)
        with transaction.atomic():
            if not _claim(refund, as_of=as_of):
                return _reload(refund)  # another worker credited it
            _reserve(refund, ceiling)
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
    """The Egreso for `refund` against the stamped `original`, whose Total is the refund.
    Against a factura global, `receipt_number` picks the refunded receipt's conceptos."""
    rows = original.lines.all()
    lines = list(rows.filter(no_identificacion=receipt_number) if receipt_number else rows)
    # Weights are what each line cost the customer (base × net factor), so each line's base,
    # and so each of its taxes, shrinks by the same proportion.
    weights = [(line.importe - line.descuento) * _factor(line) for line in lines]
    shares = credit_notes.allocate(refund.amount, weights)
    request = _request(refund, original, lines, shares)
    if _total(refund, request, as_of) == refund.amount:
        return request
    # Each line's ValorUnitario comes from its share, and SAT's rounding moves a line's total in
    # steps (1 or 2 cents with IVA 16 %), so the split can miss the refund by a cent or two.
    # Nudge the two largest shares by a few cents (closest first) until the Egreso's own Total,
    # computed exactly as the XML will state it, is what was given back.
    largest = sorted(range(len(shares)), key=lambda i: shares[i], reverse=True)[:2]
    steps = sorted(range(-3, 4), key=abs)
    nudges = sorted(((a, b) for a in steps for b in (steps if len(largest) > 1 else [0])),
                    key=lambda pair: abs(pair[0]) + abs(pair[1]))
    for nudge in nudges[1:]:
        trial = list(shares)
        for index, cents in zip(largest, nudge, strict=False):
            trial[index] += Decimal(cents) / 100
        candidate = _request(refund, original, lines, trial)
        if _total(refund, candidate, as_of) == refund.amount:
            return candidate
    # Not reachable by any nudge (never seen): the reservation still caps what is credited.
    return request


def _total(refund: Refund, request: InvoiceInput, as_of: datetime) -> Decimal:
    invoice, _ = prepare_invoice(refund.org, request, livemode=refund.livemode, as_of=as_of)
    return invoice.total


def _request(refund: Refund, original: Invoice, lines: list[InvoiceLine], shares: list[Decimal]) -> InvoiceInput:
    customer = original.customer
    return InvoiceInput(
        customer_id=original.customer_id,
        lines=tuple(
            _line(line, share, refund) for line, share in zip(lines, shares, strict=True) if share > 0
        ),
        metodo_pago="PUE",
        forma_pago=original.forma_pago,
        moneda=original.moneda,
        tipo_cambio=original.tipo_cambio,
        uso_cfdi=credit_notes.uso_cfdi(customer.rfc, customer.regimen_fiscal),
        send_email=original.send_email,
        tipo_de_comprobante="E",
        related=({"tipo_relacion": credit_notes.TIPO_RELACION, "uuids": [original.uuid]},),
        # An Egreso to PUBLICO EN GENERAL carries the global's InformacionGlobal (CFDI40130).
        informacion_global=original.informacion_global or None,
        source=refund.provider,
        source_id=f"refund:{refund.refund_id}",
    )


def _factor(line: InvoiceLine) -> Decimal:
    return credit_notes.net_factor(tax_presets.resolve(tuple(line.taxes)))


def _line(line: InvoiceLine, share: Decimal, refund: Refund) -> LineInput:
    rates = tax_presets.resolve(tuple(line.taxes))
    # `share` is what the customer got back for this line, taxes included. Without
    # retenciones the pipeline derives the ValorUnitario from it (Total = share to the cent,
    # as for the Ingreso); with them, from the line's net factor.
    gross = not credit_notes.has_retenciones(rates)
    price = share if gross else round_amount(share / credit_notes.net_factor(rates), 6)
    return LineInput(
        descripcion=f"{_label(refund)}: {line.descripcion}"[:1000],
        cantidad=Decimal(1),
        unit_price=price,
        price_includes_taxes=gross,
        clave_prod_serv=credit_notes.CLAVE_PROD_SERV,
        clave_unidad=credit_notes.CLAVE_UNIDAD,
        unidad=credit_notes.UNIDAD,
        objeto_imp=line.objeto_imp,
        taxes=tuple(line.taxes),
    )


def _claim(refund: Refund, *, as_of: datetime) -> bool:
    return bool(
        Refund.objects.filter(pk=refund.pk, status__in=_CREDITABLE, credit_note__isnull=True).update(
            status=Refund.CREDITED, status_reason="", updated_at=as_of
        )
    )


def _reserve(refund: Refund, total: Decimal) -> None:
    # The conditional UPDATE is the guarantee: two refunds credited at once both re-check
    # `refunded` under the row's write lock, so the sum never passes the total.
    ceiling = total - refund.amount
    added = Value(to_minor(refund.amount, 2), output_field=models.BigIntegerField())
    if not Payment.objects.filter(pk=refund.payment_id, refunded__lte=ceiling).update(
        refunded=F("refunded") + added
    ):
        raise _Exceeds


def _unfit(refund: Refund, original: Invoice) -> str:
    if original.status == InvoiceStatus.CANCELLED:
        return "La factura original está cancelada: no admite nota de crédito. Revisa el reembolso."
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
