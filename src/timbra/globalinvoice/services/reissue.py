"""take_out_with_motive_04: a receipt already in a stamped factura global is claimed by its customer,
and the org's policy is to cancel the global with motive 04 and re-issue it without the receipt.

c_Motivo 04 «Operación nominativa relacionada en una factura global» (satcfdi's CancelReason, Anexo 20):
the global that included the sale is cancelled and issued again without it; the sale then gets its
nominative CFDI. Order matters: the cancellation is requested first (the SAT refuses to cancel a CFDI
that a CFDI in force relates, and the re-issue relates the original with TipoRelacion 04), then the
re-issue takes the other receipts, then the caller issues the customer's CFDI.

Every step is idempotent, so a retry after a crash in the middle resumes instead of duplicating: the
cancellation request returns the pending one, the re-issue's business key is (org, "global",
"<original key>:sin:<receipt>") on the invoices' unique constraint, and receipts move by
compare-and-swap on (their global, their status).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import Receipt
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import record

MOTIVO_GLOBAL = "04"
TIPO_RELACION_SUSTITUCION = "04"


def take_out_with_motive_04(receipt: Receipt, global_invoice: Invoice, *, as_of: datetime) -> Invoice | None:
    """Cancel `global_invoice` (motive 04), re-issue it without `receipt`, and mark the receipt claimed.
    Returns the re-issued global (None when the receipt was its only one)."""
    if not global_invoice.uuid:
        raise GlobalInvoiceError(
            "global_not_stamped_yet",
            "La factura global que incluye este ticket se está timbrando; intenta de nuevo en unos minutos.",
        )
    reason = (f"El ticket {receipt.number} se factura a nombre del cliente: la factura global se cancela con "
              "motivo 04 y se reexpide sin él.")
    try:
        request_cancellation(global_invoice, motivo=MOTIVO_GLOBAL, actor="autofactura", as_of=as_of, reason=reason)
    except InvoicingError as exc:
        raise GlobalInvoiceError(exc.code, f"No se pudo cancelar la factura global {global_invoice.serie_folio}: "
                                 f"{exc.message}") from exc
    others = list(Receipt.objects.filter(global_invoice=global_invoice, status=Receipt.IN_GLOBAL)
                  .exclude(pk=receipt.pk).order_by("pk"))
    with transaction.atomic():
        reissue = None
        if others:
            reissue = create_invoice(global_invoice.org, _reissue_request(global_invoice, receipt, others),
                                     livemode=global_invoice.livemode, as_of=as_of, actor="autofactura")
            Receipt.objects.filter(pk__in=[r.pk for r in others], global_invoice=global_invoice).update(
                global_invoice=reissue, updated_at=as_of)
        Receipt.objects.filter(pk=receipt.pk, status=Receipt.IN_GLOBAL).update(
            status=Receipt.CLAIMED, updated_at=as_of,
            status_reason=f"Retirado de la factura global {global_invoice.serie_folio} (cancelada con motivo 04)"
            + (f", reexpedida como {reissue.serie_folio}." if reissue else "."),
        )
        record(global_invoice, "receipt_taken_out", as_of=as_of, actor="autofactura",
               message=reason + (f" Reexpedida como {reissue.serie_folio}." if reissue else ""),
               data={"receipt_id": receipt.pk, "reissue_id": reissue.pk if reissue else None})
    return reissue


def _reissue_request(original: Invoice, receipt: Receipt, others: list[Receipt]) -> InvoiceInput:
    """The same global, concepto for concepto, without the receipt's: same period (InformacionGlobal),
    related to the original by TipoRelacion 04; FormaPago that of the largest remaining receipt."""
    lines = [line for line in original.lines.all() if line.no_identificacion != receipt.number]
    largest = max(others, key=lambda r: r.amount)
    forma = largest.forma_pago if largest.forma_pago != "99" else original.forma_pago
    return InvoiceInput(
        customer_id=original.customer_id,
        lines=tuple(
            LineInput(descripcion=line.descripcion, cantidad=line.cantidad, unit_price=line.valor_unitario,
                      price_includes_taxes=False, clave_prod_serv=line.clave_prod_serv, clave_unidad=line.clave_unidad,
                      unidad=line.unidad, objeto_imp=line.objeto_imp, taxes=tuple(line.taxes),
                      no_identificacion=line.no_identificacion)
            for line in lines
        ),
        metodo_pago="PUE",
        forma_pago=forma,
        moneda=original.moneda,
        tipo_cambio=original.tipo_cambio,
        uso_cfdi="S01",
        send_email=False,
        related=({"tipo_relacion": TIPO_RELACION_SUSTITUCION, "uuids": [original.uuid]},),
        informacion_global=original.informacion_global,
        source=original.source,
        source_id=f"{original.source_id}:sin:{receipt.number}",
    )
