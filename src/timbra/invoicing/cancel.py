"""request_cancellation: ask the SAT to cancel a stamped CFDI, with a motive (issue 11 §3).

Everything the SAT would refuse is refused here first, in Spanish: the motive and its substitute
(01 needs the substitute CFDI, stamped and related with TipoRelacion 04), CFDIs that still relate to
this one (notas de crédito, complementos de pago: they are cancelled first), and the deadline (the
month of the annual return). Then one compare-and-swap moves the invoice to cancellation_pending
with the request recorded, and a job files it with the PAC and follows the SAT status service
(invoicing/cancel_progress.py). Asking again for the same cancellation is a no-op.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from timbra import jobs
from timbra.domain import cancellation as rules
from timbra.domain.cancellation import Step
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import LostRace, move

ISSUED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
SWEEP_AFTER = timedelta(minutes=2)
# The business-key source of a «corregir y sustituir» substitute (invoicing/substitute.py); its
# source_id is the original's id. Here because stamping and the related-CFDI check read it too.
SUBSTITUTION = "substitution"
KINDS = {"I": "factura", "E": "nota de crédito", "P": "complemento de pago", "T": "traslado"}


def request_cancellation(
    invoice: Invoice, *, motivo: str, actor: str, as_of: datetime, substitute: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    """Record the request and queue it; returns the invoice (cancellation_pending).

    Idempotent: the same motive on an invoice already being cancelled (or cancelled) returns it as is."""
    if invoice.status in (InvoiceStatus.CANCELLATION_PENDING, InvoiceStatus.CANCELLED) and invoice.cancellation_status:
        if invoice.cancellation_motive == motivo:
            return invoice
        raise InvoicingError("already_cancelling", f"La factura ya tiene una cancelación con motivo "
                             f"{invoice.cancellation_motive}; no se puede pedir otra.", field="motivo")
    if invoice.status not in ISSUED or not invoice.uuid:
        raise InvoicingError("not_stamped", "Solo se cancela ante el SAT un CFDI timbrado; una factura sin timbrar "
                             "se descarta.")
    folio = _substitute_folio(invoice, motivo, substitute)
    try:
        rules.check_motive(motivo, folio_sustitucion=folio, receptor_rfc=_receptor_rfc(invoice))
        tz = ZoneInfo(invoice.org.timezone)
        issued_on = (invoice.stamped_at or invoice.created_at).astimezone(tz).date()
        rules.check_deadline(issued_on, emisor_rfc=invoice.org.rfc, today=as_of.astimezone(tz).date())
    except rules.CancellationProblem as exc:
        raise InvoicingError(exc.code, exc.message, field="motivo") from exc
    if blockers := related_cfdis(invoice, substitute=substitute):
        raise InvoicingError("has_related_cfdis", "Primero cancela los CFDI relacionados con esta factura: "
                             + ", ".join(blockers) + ". El SAT no cancela un CFDI que otros vigentes relacionan.")
    needs = rules.needs_acceptance(facts(invoice), today=as_of.astimezone(tz).date())
    motive_text = f"{motivo} «{rules.MOTIVOS[motivo]}»"
    try:
        with transaction.atomic():
            move(invoice, InvoiceStatus.CANCELLATION_PENDING, as_of=as_of, kind="cancellation_requested", actor=actor,
                 message=f"{actor} pidió cancelar el CFDI ante el SAT, motivo {motive_text}"
                 + (f", sustituido por {folio}" if folio else "")
                 + (". Requiere la aceptación del receptor (tiene 3 días hábiles; si no responde, se cancela)."
                    if needs else ". No requiere la aceptación del receptor."),
                 data={"motivo": motivo, "folio_sustitucion": folio or "", "needs_acceptance": needs},
                 cancellation_status=Step.REQUESTING, cancellation_motive=motivo,
                 cancellation_folio_sustitucion=folio or "", cancellation_previous_status=invoice.status,
                 cancellation_requested_at=as_of,
                 # a gateway's flag explains why; a rejected earlier request's reason does not carry over
                 cancellation_reason=reason or ("" if invoice.cancellation_status else invoice.cancellation_reason),
                 cancellation_needs_acceptance=needs, cancellation_attempts=0,
                 # the job queued on commit files it now; the sweeper only if that job is lost
                 cancellation_next_check_at=as_of + SWEEP_AFTER)
            jobs.enqueue_on_commit("invoicing.cancel", invoice_id=invoice.pk)
    except LostRace as exc:
        invoice.refresh_from_db()
        if invoice.status == InvoiceStatus.CANCELLATION_PENDING and invoice.cancellation_motive == motivo:
            return invoice  # a concurrent identical request won
        raise InvoicingError("conflict", "La factura cambió de estado mientras tanto; recarga la página.") from exc
    return invoice


def facts(invoice: Invoice) -> rules.CfdiFacts:
    """What the acceptance rule reads, from the invoice as stamped."""
    tz = ZoneInfo(invoice.org.timezone)
    return rules.CfdiFacts(
        tipo_de_comprobante=invoice.tipo_de_comprobante,
        total_mxn=invoice.total * (invoice.tipo_cambio or Decimal(1)),
        receptor_rfc=_receptor_rfc(invoice),
        issued_on=(invoice.stamped_at or invoice.created_at).astimezone(tz).date(),
        # A global invoice (público en general) is recognised by its generic RFC.
    )


def related_cfdis(invoice: Invoice, *, substitute: Invoice | None = None, own_substitutes: bool = False) -> list[str]:
    """The CFDIs still in force that relate this one (they must be cancelled first), as Spanish labels.

    The substitute of a motive-01 cancellation relates it by definition, and is not in the way; with
    `own_substitutes`, neither is any «corregir y sustituir» substitute of it (a concurrent correction)."""
    from timbra.receivables.models import PaymentApplication  # receivables depends on invoicing

    labels = []
    relating = (
        Invoice.objects.filter(org_id=invoice.org_id, livemode=invoice.livemode, customer_id=invoice.customer_id)
        .exclude(pk=invoice.pk).exclude(status=InvoiceStatus.CANCELLED).exclude(related=[])
        .order_by("pk")
    )
    if own_substitutes:
        relating = relating.exclude(source=SUBSTITUTION, source_id=str(invoice.pk))
    for other in relating:
        if substitute is not None and other.pk == substitute.pk:
            continue
        if any(invoice.uuid in (rel.get("uuids") or []) for rel in other.related):
            labels.append(_label(other))
    reps = (
        PaymentApplication.objects.filter(invoice=invoice, active=True, payment__rep_invoice__isnull=False)
        .exclude(payment__rep_invoice__status=InvoiceStatus.CANCELLED)
        .select_related("payment__rep_invoice")
    )
    labels.extend(_label(application.payment.rep_invoice) for application in reps)
    return labels


def _label(other: Invoice) -> str:
    kind = KINDS.get(other.tipo_de_comprobante, "CFDI")
    return f"{kind} {other.serie_folio}" + (f" ({other.uuid})" if other.uuid else f" ({other.status_label.lower()})")


def _substitute_folio(invoice: Invoice, motivo: str, substitute: Invoice | None) -> str | None:
    if substitute is None:
        return None
    if (substitute.org_id, substitute.livemode) != (invoice.org_id, invoice.livemode) or substitute.pk == invoice.pk:
        raise InvoicingError("substitute_invalid", "La factura sustituta no es válida.", field="substitute_id")
    if substitute.status not in ISSUED or not substitute.uuid:
        raise InvoicingError("substitute_not_stamped", f"La sustituta {substitute.serie_folio} aún no está timbrada; "
                             "la cancelación con motivo 01 espera su folio fiscal.", field="substitute_id")
    relates = any(rel.get("tipo_relacion") == rules.TIPO_RELACION_SUSTITUCION and invoice.uuid in (rel.get("uuids") or [])
                  for rel in substitute.related)
    if motivo == rules.WITH_SUBSTITUTE and not relates:
        raise InvoicingError("substitute_not_related", f"La sustituta {substitute.serie_folio} no relaciona esta "
                             "factura con el tipo de relación 04 (sustitución).", field="substitute_id")
    return substitute.uuid


def _receptor_rfc(invoice: Invoice) -> str:
    return str((invoice.receptor or {}).get("rfc") or invoice.customer.rfc)
