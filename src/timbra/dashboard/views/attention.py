"""Requiere atención: the invoices (and held refunds) a person has to look at, each with why."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse

from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.delivery.models import Delivery
from timbra.domain.cancellation import Step
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import selectors
from timbra.invoicing.models import Invoice
from timbra.payments.selectors import awaiting_fiscal_data, held_refunds
from timbra.portal.services.chase import chase_deadline


@dataclass(frozen=True)
class AttentionRow:
    invoice: Invoice
    kind: str  # "held" | "stamping" | "email" | "cancel": the CSS tone and the group
    reason: str  # Spanish title
    detail: str  # the hold message or the last error, as recorded


def _row(invoice: Invoice) -> AttentionRow:
    if invoice.cancellation_status in (Step.REJECTED, Step.REFUSED) and invoice.status != InvoiceStatus.CANCELLED:
        return AttentionRow(invoice, "cancel", f"Cancelación {invoice.cancellation_label.lower()} "
                            f"(motivo {invoice.cancellation_motive}): el CFDI sigue vigente",
                            invoice.cancellation_reason or "Revisa la factura.")
    if invoice.cancellation_requested_at and invoice.status != InvoiceStatus.CANCELLED:
        return AttentionRow(invoice, "cancel", f"Debe cancelarse ante el SAT (motivo {invoice.cancellation_motive})",
                            invoice.cancellation_reason or "Se pidió su cancelación.")
    if invoice.status == InvoiceStatus.HELD:
        return AttentionRow(invoice, "held", "Detenida: requiere una corrección",
                            invoice.hold_message or "Sin detalle.")
    failed = [d for d in invoice.deliveries.all() if d.status == Delivery.FAILED]
    if invoice.status == InvoiceStatus.SEALED or not failed:
        return AttentionRow(invoice, "stamping", f"El timbrado ha fallado {invoice.stamp_attempts} veces",
                            invoice.last_error or "El PAC no respondió; se seguirá reintentando.")
    recipients = ", ".join(r for d in failed for r in d.recipients)
    detail = failed[0].last_error or "El servidor de correo rechazó el mensaje."
    return AttentionRow(invoice, "email", f"No se pudo entregar el correo a {recipients or 'el cliente'}", detail)


@org_view
def attention_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Held invoices (with their hold reason), repeated stamping failures, undelivered emails,
    held refunds, and charges waiting for the customer's fiscal data."""
    invoices = selectors.needs_attention(tenant.org, livemode=tenant.livemode).prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.order_by("pk")))
    rows = [_row(invoice) for invoice in invoices]
    # Held refunds are their own kind of row: they link to their payment, where they are acted on.
    refunds = list(held_refunds(tenant.org, livemode=tenant.livemode))
    # Charges whose customer has not given fiscal data yet (the portal chases them), with the
    # moment they go to the factura global.
    waiting = [(p, chase_deadline(p)) for p in awaiting_fiscal_data(tenant.org, livemode=tenant.livemode)[:200]]
    return render_page(request, tenant, "dashboard/attention.html",
                       {"rows": rows, "refunds": refunds, "waiting": waiting, "nav": "attention"})
