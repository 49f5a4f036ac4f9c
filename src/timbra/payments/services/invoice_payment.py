"""Invoice a recorded payment: one Ingreso PUE whose business key is the gateway's money.

Also the hook for what comes later: the portal (once a customer gives their fiscal data)
and the factura global call `invoice_payment` again for payments in
"awaiting_fiscal_data"; it is idempotent, because `create_invoice` returns the existing
invoice for (org, source, source_id) instead of a second one (reliability.md §1.2 (c)).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.payments.services.match_customer import match_customer

# Until the rules engine exists (issue 3, later slice): gateway amounts are what the customer
# paid, so prices include IVA 16 %; objeto de impuesto 02 (sí objeto de impuesto).
DEFAULT_TAXES = ("IVA16",)


def invoice_payment(payment_id: int, *, as_of: datetime) -> Payment:
    """Create (or find) the invoice of a payment; else leave it visibly waiting, with the reason."""
    payment = Payment.objects.select_related("org", "connection").get(pk=payment_id)
    if payment.status == Payment.INVOICED or not payment.invoiceable:
        return payment
    match = match_customer(payment, as_of=as_of)
    if match.customer is None:
        return _set_status(payment, Payment.AWAITING_FISCAL_DATA, match.reason, as_of=as_of)
    try:
        invoice = create_invoice(
            payment.org,
            _request(payment, customer_id=match.customer.pk, uso=match.uso_cfdi),
            livemode=payment.livemode,
            as_of=as_of,
            actor=payment.provider,
        )
    except InvoicingError as exc:
        return _set_status(
            payment, Payment.FAILED, f"No se pudo crear la factura: {exc.message}", as_of=as_of
        )
    return mark_invoiced(payment, invoice, customer_id=match.customer.pk, as_of=as_of)


def mark_invoiced(payment: Payment, invoice: Invoice, *, customer_id: int, as_of: datetime) -> Payment:
    """Record the payment's invoice (every worker that gets here got the same invoice)."""
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.INVOICED, status_reason="", invoice=invoice, customer_id=customer_id, updated_at=as_of
    )
    payment.refresh_from_db()
    return payment


def _request(payment: Payment, *, customer_id: int, uso: str) -> InvoiceInput:
    connection = payment.connection
    lines = tuple(
        LineInput(
            descripcion=line["descripcion"][:1000],
            cantidad=Decimal(line["cantidad"]),
            # A per-unit gross; unit_price_from_gross re-derives a ValorUnitario whose Total
            # matches what was paid (to the cent whenever SAT's rounding allows).
            unit_price=Decimal(line["amount"]) / Decimal(line["cantidad"]),
            price_includes_taxes=True,
            clave_prod_serv=connection.default_clave_prod_serv,
            clave_unidad=connection.default_clave_unidad,
            unidad=connection.default_unidad,
            objeto_imp="02",
            taxes=DEFAULT_TAXES,
            no_identificacion=(line.get("price_id") or "")[:100] or None,
        )
        for line in payment.lines
    )
    return InvoiceInput(
        customer_id=customer_id,
        lines=lines,
        metodo_pago="PUE",
        forma_pago=payment.forma_pago,
        moneda=payment.currency,
        tipo_cambio=payment.exchange_rate if payment.currency != "MXN" else None,
        uso_cfdi=uso or None,
        source=payment.provider,
        source_id=payment.key,
    )


def _set_status(payment: Payment, status: str, reason: str, *, as_of: datetime) -> Payment:
    # Never overwrite "invoiced": a concurrent worker may have finished first.
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.INVOICED).update(
        status=status, status_reason=reason, updated_at=as_of
    )
    payment.refresh_from_db()
    return payment
