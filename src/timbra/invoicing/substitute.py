"""«Corregir y sustituir»: issue the corrected CFDI, then cancel the original with motive 01 (issue 11 §4).

The SAT's order is fixed: the substitute is stamped first (relating the original with TipoRelacion 04),
and only then is the original cancelled, naming the substitute's UUID as FolioSustitucion. The steps
are one recoverable workflow:

* the substitute's business key is (org, "substitution", <original id>): a repeated or concurrent
  «corregir» finds the same substitute, never a second one;
* the original points at its substitute (`Invoice.substitute`), written in the substitute's own insert
  transaction;
* when the substitute is stamped, the stamping worker queues the original's cancellation, and the
  sweeper re-queues any original whose substitute is stamped and whose cancellation was never asked
  (a crash between «substitute stamped» and «original cancelled» resumes there).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from timbra.domain import cancellation as rules
from timbra.domain.cancellation import Step
from timbra.invoicing.cancel import ISSUED, SUBSTITUTION, related_cfdis, request_cancellation
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record

SOURCE = SUBSTITUTION


def substitute_invoice(original: Invoice, request: InvoiceInput, *, actor: str, as_of: datetime) -> Invoice:
    """Create the corrected invoice (TipoRelacion 04 to `original`) and queue it; the original is
    cancelled with motive 01 once it is stamped. Returns the substitute (the existing one on a repeat)."""
    if original.substitute_id is not None:
        return Invoice.objects.get(pk=original.substitute_id)
    if existing := Invoice.objects.filter(org_id=original.org_id, source=SOURCE, source_id=str(original.pk)).first():
        return existing
    if original.status not in ISSUED or not original.uuid:
        raise InvoicingError("not_stamped", "Solo se sustituye un CFDI timbrado; una factura detenida se corrige y "
                             "se reintenta.")
    tz = ZoneInfo(original.org.timezone)
    try:
        rules.check_deadline((original.stamped_at or original.created_at).astimezone(tz).date(),
                             emisor_rfc=original.org.rfc, today=as_of.astimezone(tz).date())
    except rules.CancellationProblem as exc:
        raise InvoicingError(exc.code, exc.message) from exc
    # A concurrent correction's substitute is not in the way: the business key below collapses onto it.
    if blockers := related_cfdis(original, own_substitutes=True):
        raise InvoicingError("has_related_cfdis", "Primero cancela los CFDI relacionados con esta factura: "
                             + ", ".join(blockers) + ". Después se puede sustituir.")
    if request.customer_id != original.customer_id:
        # A different receptor is a different operation: cancel (02/03) and invoice anew.
        raise InvoicingError("substitute_other_customer", "La sustituta debe ser para el mismo cliente; para otro "
                             "cliente cancela esta factura y emite una nueva.", field="customer_id")
    request = replace(
        request,
        tipo_de_comprobante=original.tipo_de_comprobante,
        related=({"tipo_relacion": rules.TIPO_RELACION_SUSTITUCION, "uuids": [original.uuid]},),
        source=SOURCE,
        source_id=str(original.pk),
    )

    def link(substitute: Invoice) -> None:
        Invoice.objects.filter(pk=original.pk, substitute__isnull=True).update(substitute=substitute)
        record(original, "substitute_created", as_of=as_of, actor=actor,
               message=f"{actor} corrigió la factura: la sustituta {substitute.serie_folio} se timbra y después se "
               "cancela esta con motivo 01.", data={"substitute_id": substitute.pk})

    substitute = create_invoice(original.org, request, livemode=original.livemode, as_of=as_of, actor=actor,
                                in_transaction=link)
    original.substitute = substitute
    return substitute


def cancel_substituted(invoice: Invoice, *, as_of: datetime) -> Invoice:
    """The workflow's second half: once the substitute is stamped, ask to cancel `invoice` with motive 01.

    No-op unless `invoice` is issued, has a stamped substitute and no cancellation was tried (after a
    rejection or a refusal a person decides what to do)."""
    if invoice.status not in ISSUED or invoice.substitute_id is None or invoice.cancellation_status in (
        Step.REJECTED, Step.REFUSED,
    ):
        return invoice
    substitute = Invoice.objects.get(pk=invoice.substitute_id)
    if substitute.status not in ISSUED:
        return invoice
    try:
        return request_cancellation(invoice, motivo=rules.WITH_SUBSTITUTE, substitute=substitute, actor="sistema",
                                    as_of=as_of, reason=f"Sustituida por {substitute.serie_folio}.")
    except InvoicingError as exc:
        message = f"No se pudo pedir la cancelación con motivo 01: {exc.message}"
        # Marked refused so the sweeper does not ask again every minute; a person retries from the dashboard.
        if Invoice.objects.filter(pk=invoice.pk, cancellation_status="").update(
            cancellation_status=Step.REFUSED, cancellation_reason=message
        ):
            record(invoice, "cancellation_blocked", as_of=as_of, message=message)
        invoice.refresh_from_db()
        return invoice


def pending_substitutions() -> list[int]:
    """Originals whose substitute is stamped and whose cancellation was never asked (for the sweeper)."""
    return list(
        Invoice.objects.filter(status__in=ISSUED, substitute__status__in=ISSUED, cancellation_status="")
        .values_list("pk", flat=True)[:500]
    )
