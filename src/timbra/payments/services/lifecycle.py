"""What happens to a payment after it is paid: its gateway invoice voided, a dispute, new
fiscal data of its customer. Refunds (and lost disputes) are services/refunds.py.

Every write is a conditional UPDATE that only passes when it changes something, and the
timeline row is written only by the worker whose UPDATE passed: duplicate deliveries, days
apart or at once, leave one trace.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from django.db.models import Q

from timbra.customers.models import Customer
from timbra.customers.services import update_customer
from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import normalize_rfc
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.cancel_settings import settings_for
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.invoicing.transitions import LostRace, move, record
from timbra.payments.gateways.base import (
    CustomerUpdate,
    DisputeUpdate,
    GatewayInvoiceVoided,
    NormalizedRefund,
    RefundBatch,
)
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.handled import Handled
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.payments.services.refunds import apply_refunds, find_payment

Lifecycle = NormalizedRefund | RefundBatch | GatewayInvoiceVoided | DisputeUpdate | CustomerUpdate

MOTIVE_ERRORS_NO_RELATION = "02"  # c_Motivo 02: "Comprobante emitido con errores sin relación"
_STOPPABLE = (InvoiceStatus.DRAFT, InvoiceStatus.HELD)
_STAMPED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
_FISCAL = ("rfc", "nombre", "codigo_postal", "regimen_fiscal", "uso_cfdi")


def handle_lifecycle(connection: GatewayConnection, outcome: Lifecycle, *, as_of: datetime) -> Handled:
    """Route an outcome that is not a payment to its service."""
    if isinstance(outcome, NormalizedRefund | RefundBatch):
        return apply_refunds(connection, outcome, as_of=as_of)
    if isinstance(outcome, GatewayInvoiceVoided):
        return void_gateway_invoice(connection, outcome, as_of=as_of)
    if isinstance(outcome, DisputeUpdate):
        return record_dispute(connection, outcome, as_of=as_of)
    return update_customer_from_gateway(connection, outcome, as_of=as_of)


# --- invoice.voided ---------------------------------------------------------------------------------


def void_gateway_invoice(
    connection: GatewayConnection, voided: GatewayInvoiceVoided, *, as_of: datetime
) -> Handled:
    """Its CFDI is stopped if it is not issued yet, else flagged for cancellation (motive 02)."""
    label = voided.number or voided.gateway_invoice_id
    payments = Payment.objects.filter(org_id=connection.org_id, provider=connection.provider)
    match = Q(gateway_invoice_id=voided.gateway_invoice_id)
    if voided.payment_key:
        match |= Q(key=voided.payment_key)
    payment = payments.filter(match).first()
    if payment is None:
        return Handled(
            WebhookEvent.PROCESSED,
            f"La factura {label} de Stripe se anuló y Timbra no registró ningún pago suyo: no hay CFDI que cancelar.",
        )
    if payment.invoice_id is None:
        # Not invoiceable any more: invoice_payment (and a re-run of this event) leaves it be.
        Payment.objects.filter(pk=payment.pk, invoice__isnull=True).update(
            status=Payment.NOT_INVOICED,
            invoiceable=False,
            status_reason=f"La factura {label} se anuló en Stripe antes de facturarse: no se factura.",
            updated_at=as_of,
        )
        payment.refresh_from_db()
        if payment.invoice_id is None:
            return Handled(WebhookEvent.PROCESSED, payment.status_reason, payment)
    invoice = Invoice.objects.get(pk=payment.invoice_id)
    return Handled(
        WebhookEvent.PROCESSED, _stop_or_flag(invoice, label, as_of=as_of), payment, invoice_id=invoice.pk
    )


def _stop_or_flag(invoice: Invoice, label: str, *, as_of: datetime) -> str:
    if invoice.status in _STOPPABLE:
        try:
            move(invoice, InvoiceStatus.CANCELLED, as_of=as_of, kind="voided_at_gateway", actor="stripe",
                 message=f"La factura {label} se anuló en Stripe antes de timbrar el CFDI: no se emitirá.")  # fmt: skip
            return f"La factura {label} se anuló en Stripe; el CFDI {invoice.serie_folio} no se emitirá."
        except LostRace:
            invoice.refresh_from_db()  # a worker sealed it meanwhile: flag it instead
    if invoice.status == InvoiceStatus.CANCELLED:
        return f"La factura {label} se anuló en Stripe; el CFDI {invoice.serie_folio} ya estaba cancelado."
    reason = (
        f"La factura {label} se anuló en Stripe después de emitir el CFDI {invoice.serie_folio}: "
        "debe cancelarse ante el SAT (motivo 02)."
    )
    if invoice.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED) and settings_for(
        invoice.org
    ).cancel_on_gateway_void:
        # Issue 11: the org chose to have a void cancel the CFDI itself (the SAT may still need the
        # receptor's acceptance; invoicing.cancel follows it). What the SAT would refuse is flagged.
        try:
            request_cancellation(invoice, motivo=MOTIVE_ERRORS_NO_RELATION, actor="stripe", as_of=as_of, reason=reason)
            return (f"La factura {label} se anuló en Stripe: se pidió al SAT cancelar el CFDI {invoice.serie_folio} "
                    "(motivo 02).")
        except InvoicingError as exc:
            reason = f"{reason} No se pudo pedir automáticamente: {exc.message}"
    flagged = Invoice.objects.filter(pk=invoice.pk, cancellation_requested_at__isnull=True).update(
        cancellation_requested_at=as_of,
        cancellation_motive=MOTIVE_ERRORS_NO_RELATION,
        cancellation_reason=reason,
    )
    if flagged:
        record(invoice, "cancellation_requested", as_of=as_of, actor="stripe", message=reason,
               data={"motive": MOTIVE_ERRORS_NO_RELATION})  # fmt: skip
    return reason


# --- disputes ---------------------------------------------------------------------------------------


def record_dispute(connection: GatewayConnection, dispute: DisputeUpdate, *, as_of: datetime) -> Handled:
    """Keep the payment's dispute current; a lost one is a refund of the disputed amount."""
    payment = find_payment(connection, dispute.payment_key, dispute.charge_id, dispute.payment_intent_id)
    if payment is None:
        charge = dispute.charge_id or dispute.payment_key
        return Handled(
            WebhookEvent.WAITING, f"La disputa llegó antes que su cobro ({charge}).", waiting_on=charge
        )
    rows = Payment.objects.filter(pk=payment.pk).exclude(
        dispute_id=dispute.dispute_id, dispute_status=dispute.gateway_status
    )
    if dispute.status == "open":
        # Forward only: a late "created" never reopens a dispute already closed.
        rows = rows.exclude(dispute_id=dispute.dispute_id, dispute_outcome__in=("won", "lost"))
    changed = rows.update(
        dispute_id=dispute.dispute_id,
        dispute_status=dispute.gateway_status,
        dispute_amount=dispute.amount,
        dispute_reason=dispute.reason,
        dispute_outcome=dispute.status,
        dispute_updated_at=dispute.at,
        updated_at=as_of,
        **({"dispute_fee": dispute.fee} if dispute.fee is not None else {}),
    )
    message = _dispute_message(dispute)
    if changed and payment.invoice_id:
        record(Invoice.objects.get(pk=payment.invoice_id), f"dispute_{dispute.status}", as_of=as_of,
               actor=connection.provider, message=message,
               data={"dispute_id": dispute.dispute_id, "status": dispute.gateway_status})  # fmt: skip
    if dispute.status == "lost":
        return apply_refunds(connection, _lost_as_refund(dispute, payment), as_of=as_of)
    payment.refresh_from_db()
    return Handled(WebhookEvent.PROCESSED, message, payment, invoice_id=payment.invoice_id)


def _dispute_message(dispute: DisputeUpdate) -> str:
    money = f"{dispute.amount} {dispute.currency}"
    if dispute.status == "won":
        return f"Disputa {dispute.dispute_id} ganada ({money}): el pago se conserva."
    if dispute.status == "lost":
        return f"Disputa {dispute.dispute_id} perdida ({money}): se emite nota de crédito."
    return f"Disputa {dispute.dispute_id} abierta por {money} (motivo «{dispute.reason}», {dispute.gateway_status})."


def _lost_as_refund(dispute: DisputeUpdate, payment: Payment) -> NormalizedRefund:
    return NormalizedRefund(
        provider=dispute.provider,
        refund_id=dispute.dispute_id,
        livemode=dispute.livemode,
        currency=dispute.currency,
        amount=dispute.amount,
        refunded_at=dispute.at,
        status="succeeded",
        payment_key=payment.key,
        charge_id=dispute.charge_id,
        payment_intent_id=dispute.payment_intent_id,
        reason=dispute.reason,
        kind="dispute_lost",
    )


# --- customer.updated / customer.tax_id.* ------------------------------------------------------------


def update_customer_from_gateway(
    connection: GatewayConnection, update: CustomerUpdate, *, as_of: datetime
) -> Handled:
    """Keep the linked Timbra customer's fiscal data current (valid data only), and retry
    the payments of that customer that waited for it."""
    said = {k: v.strip() for k, v in asdict(update.customer).items() if k in _FISCAL and v and v.strip()}
    if "rfc" in said:
        said["rfc"] = normalize_rfc(said["rfc"])
    external_id = f"{connection.provider}:{update.gateway_customer_id}"
    customer = Customer.objects.filter(
        org_id=connection.org_id, livemode=connection.livemode, external_id=external_id
    ).first()
    notes = [_update_customer(customer, said, as_of=as_of)] if customer else []
    if update.rfc_removed:
        notes.append("Se eliminó el RFC en Stripe; Timbra conserva el RFC validado del cliente.")
    retried = _retry_waiting_payments(connection, update.gateway_customer_id, said, as_of=as_of)
    if retried:
        notes.append(f"Se reintentaron {retried} pagos que esperaban datos fiscales.")
    if not notes:
        notes.append(
            "El cliente de Stripe no está vinculado a ningún cliente de Timbra; nada que actualizar."
        )
    return Handled(WebhookEvent.PROCESSED, " ".join(n for n in notes if n))


def _update_customer(customer: Customer, said: dict[str, str], *, as_of: datetime) -> str:
    changes = {k: v for k, v in said.items() if v != getattr(customer, k)}
    if not changes:
        return "Los datos fiscales del cliente ya estaban al día."
    try:
        update_customer(customer, changes, as_of=as_of)
    except InvoicingError as exc:
        # Bad data never overwrites good data: the customer keeps what was validated.
        return f"Los datos fiscales nuevos de Stripe no son válidos y no se aplicaron: {exc.message}"
    return f"Datos fiscales del cliente actualizados ({', '.join(sorted(changes))})."


def _retry_waiting_payments(
    connection: GatewayConnection, gateway_customer_id: str, said: dict[str, str], *, as_of: datetime
) -> int:
    waiting = Payment.objects.filter(
        org_id=connection.org_id,
        provider=connection.provider,
        gateway_customer_id=gateway_customer_id,
        status=Payment.AWAITING_FISCAL_DATA,
    )
    count = 0
    for payment in waiting.order_by("pk")[:200]:
        if said:
            Payment.objects.filter(pk=payment.pk, status=Payment.AWAITING_FISCAL_DATA).update(
                fiscal_data={**payment.fiscal_data, **said}, updated_at=as_of
            )
        invoice_payment(payment.pk, as_of=as_of)  # idempotent: one invoice per payment key
        count += 1
    return count
