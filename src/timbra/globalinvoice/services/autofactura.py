"""self_invoice: a customer types their receipt code and fiscal data and gets their CFDI at once.

Until the global invoice of the receipt's period takes it, the receipt is invoiced like any
payment whose fiscal data arrived (payments/services/invoice_payment.py reserves it by
compare-and-swap in the invoice's transaction). After that the org's policy decides
(reference/portal-csf-global.md §0 #4 and §2.7):
- "refuse": a clear message; the business can still help by hand;
- "egreso": an Egreso to PUBLICO EN GENERAL related (TipoRelacion 01) to the global, for that
  receipt's conceptos (guía del CFDI global, Appendix 2 option III; what Odoo does), then the
  nominative CFDI, in one transaction with the receipt's move in_global → claimed;
- "cancel_04": cancel the global with motive 04 and re-issue it without the receipt (TipoRelacion
  04), then the nominative CFDI (services/reissue.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from timbra.customers.models import Customer
from timbra.customers.services import create_customer
from timbra.domain import credit_notes
from timbra.domain.taxpayer import is_generic_rfc, normalize_nombre, normalize_rfc
from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import GlobalInvoiceSettings, Receipt
from timbra.globalinvoice.services.receipts import normalize_code
from timbra.globalinvoice.services.reissue import take_out_with_motive_04
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.invoicing.transitions import record
from timbra.payments.models import Payment
from timbra.payments.services.invoice_payment import invoice_payment

NOT_FOUND = GlobalInvoiceError(
    "receipt_not_found",
    "No encontramos un ticket con ese código. Revisa que lo hayas escrito igual que en tu comprobante.",
    field="code",
)


@dataclass(frozen=True)
class FiscalData:
    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str
    uso_cfdi: str
    email: str = ""


def find_receipt(portal_slug: str, code: str) -> Receipt:
    """The receipt with `code` of the org at `portal_slug`; the same error whether the org, the
    code or both are unknown, so the page reveals nothing about other receipts or orgs."""
    org_id = GlobalInvoiceSettings.objects.filter(portal_slug=portal_slug).values_list("org_id", flat=True).first()
    receipt = (
        Receipt.objects.filter(org_id=org_id, code=normalize_code(code)).select_related("payment", "org").first()
        if org_id is not None else None
    )
    if receipt is None:
        raise NOT_FOUND
    return receipt


def self_invoice(portal_slug: str, code: str, data: FiscalData, *, as_of: datetime) -> Invoice:
    """The receipt's nominative CFDI, created and stamped now (or the one it already has)."""
    receipt = find_receipt(portal_slug, code)
    payment = receipt.payment
    rfc = normalize_rfc(data.rfc)
    if payment.invoice_id is not None:
        invoice = Invoice.objects.select_related("customer").get(pk=payment.invoice_id)
        if invoice.customer.rfc != rfc:
            raise GlobalInvoiceError("receipt_already_invoiced", "Este ticket ya se facturó a otro RFC.")
        return invoice  # the same customer asking again: their CFDI
    if is_generic_rfc(rfc):
        raise GlobalInvoiceError("rfc_generic", "Escribe tu propio RFC; el genérico no necesita factura.",
                                 field="rfc")
    customer = _customer(receipt, data, rfc=rfc, as_of=as_of)
    if receipt.status == Receipt.IN_GLOBAL:
        _take_out_of_global(receipt, as_of=as_of)
    Payment.objects.filter(pk=payment.pk, invoice__isnull=True).update(customer=customer, updated_at=as_of)
    payment = invoice_payment(payment.pk, as_of=as_of)
    if payment.invoice_id is None:
        raise GlobalInvoiceError("autofactura_failed", payment.status_reason or "No se pudo emitir la factura.")
    record(payment.invoice, "autofactura", as_of=as_of, actor="autofactura",
           message=f"El cliente pidió su factura con el código del ticket {receipt.number}.")  # fmt: skip
    return process_invoice(payment.invoice_id, as_of=as_of)  # at once; the job then no-ops


def _customer(receipt: Receipt, data: FiscalData, *, rfc: str, as_of: datetime) -> Customer:
    # Never edit an existing customer from a public page (anyone who knows an RFC could change
    # that customer's data): reuse an identical record, else create one.
    values = {"rfc": rfc, "nombre": normalize_nombre(data.nombre), "regimen_fiscal": data.regimen_fiscal.strip(),
              "codigo_postal": data.codigo_postal.strip(), "uso_cfdi": data.uso_cfdi.strip().upper()}
    same = Customer.objects.filter(org_id=receipt.org_id, livemode=receipt.livemode, **values).order_by("pk").first()
    if same is not None:
        return same
    try:
        return create_customer(receipt.org, {**values, "emails": [data.email] if data.email.strip() else [],
                                             "external_id": "autofactura"}, livemode=receipt.livemode, as_of=as_of)
    except InvoicingError as exc:
        raise GlobalInvoiceError(exc.code, exc.message, field=exc.field) from exc


def _take_out_of_global(receipt: Receipt, *, as_of: datetime) -> None:
    policy = GlobalInvoiceSettings.objects.values_list("after_global_policy", flat=True).get(org_id=receipt.org_id)
    global_invoice = Invoice.objects.select_related("org", "customer").get(pk=receipt.global_invoice_id)
    serie_folio = global_invoice.serie_folio
    if policy == GlobalInvoiceSettings.CANCEL_04:
        take_out_with_motive_04(receipt, global_invoice, as_of=as_of)
        return
    if policy != GlobalInvoiceSettings.EGRESO:
        raise GlobalInvoiceError(
            "receipt_in_global",
            f"El plazo para facturar este ticket terminó: ya se incluyó en la factura global {serie_folio} al "
            "público en general. Si necesitas tu factura, comunícate con el negocio.",
        )
    if not global_invoice.uuid:
        raise GlobalInvoiceError(
            "global_not_stamped_yet",
            "La factura global que incluye este ticket se está timbrando; intenta de nuevo en unos minutos.",
        )
    request = egreso_request(receipt, global_invoice)
    with transaction.atomic():
        egreso = create_invoice(receipt.org, request, livemode=receipt.livemode, as_of=as_of, actor="autofactura")
        moved = Receipt.objects.filter(pk=receipt.pk, status=Receipt.IN_GLOBAL).update(
            status=Receipt.CLAIMED, global_egreso=egreso, updated_at=as_of,
            status_reason=f"Retirado de la factura global {serie_folio} con la nota de crédito {egreso.serie_folio}.",
        )  # fmt: skip
        if not moved and not Receipt.objects.filter(pk=receipt.pk, global_egreso=egreso).exists():
            raise GlobalInvoiceError("receipt_changed", "El ticket cambió mientras lo procesábamos; intenta de nuevo.")
        record(global_invoice, "receipt_taken_out", as_of=as_of, actor="autofactura",
               message=f"Ticket {receipt.number} retirado con la nota de crédito {egreso.serie_folio} para "
               "facturarlo al cliente.", data={"receipt_id": receipt.pk, "egreso_id": egreso.pk})  # fmt: skip


def egreso_request(receipt: Receipt, global_invoice: Invoice) -> InvoiceInput:
    """Guía del CFDI global, Appendix 2 option III: an Egreso to PUBLICO EN GENERAL that reduces
    the global by exactly the receipt's conceptos (same bases, so the same taxes)."""
    lines = global_invoice.lines.filter(no_identificacion=receipt.number)
    return InvoiceInput(
        customer_id=global_invoice.customer_id,
        lines=tuple(
            LineInput(
                descripcion=f"Reducción de la operación del ticket {receipt.number} (factura al cliente)"[:1000],
                cantidad=Decimal(1), unit_price=line.importe - line.descuento, price_includes_taxes=False,
                clave_prod_serv=credit_notes.CLAVE_PROD_SERV, clave_unidad=credit_notes.CLAVE_UNIDAD,
                unidad=credit_notes.UNIDAD, objeto_imp=line.objeto_imp, taxes=tuple(line.taxes),
                no_identificacion=receipt.number,
            )  # fmt: skip
            for line in lines
        ),
        metodo_pago="PUE",
        forma_pago=global_invoice.forma_pago,
        moneda=global_invoice.moneda,
        tipo_cambio=global_invoice.tipo_cambio,
        uso_cfdi=credit_notes.USO_SIN_EFECTOS,
        send_email=False,
        tipo_de_comprobante="E",
        related=({"tipo_relacion": credit_notes.TIPO_RELACION, "uuids": [global_invoice.uuid]},),
        informacion_global=global_invoice.informacion_global,
        source="global_egreso",
        source_id=f"receipt:{receipt.pk}",
    )
