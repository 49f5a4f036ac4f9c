"""edit_held_invoice: correct a held invoice's data (lines, customer, payment terms), not only retry it.

A held invoice never reached the SAT (no stamp), so its content may change freely; it keeps its serie
and folio (a folio is never reused) and its business key. The change is one compare-and-swap on
`status = held` plus the new lines, so an invoice a worker took meanwhile is never edited under it.
Then, optionally, it goes through the pipeline again (`retry_invoice`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from django.db import transaction

from timbra.domain.status import InvoiceStatus
from timbra.invoicing.actions import retry_invoice
from timbra.invoicing.create import prepare_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput
from timbra.invoicing.models import Invoice, InvoiceLine
from timbra.invoicing.transitions import record

EDITABLE_FIELDS = ("customer", "metodo_pago", "forma_pago", "moneda", "tipo_cambio", "condiciones_de_pago",
                   "uso_cfdi", "send_email", "subtotal", "descuento", "total_traslados", "total_retenciones", "total")


def edit_held_invoice(invoice: Invoice, request: InvoiceInput, *, actor: str, as_of: datetime,
                      retry: bool = False) -> Invoice:
    """Replace a held invoice's customer, lines and terms; with `retry`, send it through again."""
    if invoice.status != InvoiceStatus.HELD:
        raise InvoicingError("not_held", "Solo se edita una factura detenida (nunca llegó al SAT).")
    if invoice.tipo_de_comprobante != "I":
        raise InvoicingError("not_editable", "Las notas de crédito y los complementos de pago no se editan: corrige "
                             "los datos del cliente y reintenta.")
    if invoice.source and request.customer_id != invoice.customer_id:
        raise InvoicingError("customer_fixed", "Esta factura viene de un cobro, un plan o una sustitución: su cliente "
                             "no cambia (corrige sus datos fiscales en el cliente).", field="customer_id")
    request = replace(request, serie=invoice.serie, tipo_de_comprobante=invoice.tipo_de_comprobante,
                      related=tuple(invoice.related), source=invoice.source, source_id=invoice.source_id)
    edited, lines = prepare_invoice(invoice.org, request, livemode=invoice.livemode, as_of=as_of)
    changes = {name: getattr(edited, name) for name in EDITABLE_FIELDS}
    with transaction.atomic():
        if not Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.HELD).update(**changes):
            raise InvoicingError("conflict", "La factura cambió de estado mientras tanto; recarga la página.")
        InvoiceLine.objects.filter(invoice=invoice).delete()
        for line in lines:
            line.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        record(invoice, "edited", as_of=as_of, actor=actor,
               message=f"{actor} corrigió la factura detenida: {len(lines)} partida(s), total {edited.total} "
               f"{edited.moneda}.", data={"total": str(edited.total)})
    invoice.refresh_from_db()
    if retry:
        retry_invoice(invoice, actor=actor, as_of=as_of)
    return invoice
