"""What staff can do to a held refund on a Cobro's page: retry its nota de crédito once the cause
is fixed, or dismiss it as handled by hand (services/refunds_admin.py does both)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.dashboard.access import Tenant, or_404, org_view
from timbra.invoicing.errors import InvoicingError
from timbra.payments import selectors
from timbra.payments.models import Refund
from timbra.payments.services.refunds_admin import dismiss_refund, retry_refund

_OUTCOMES = {
    Refund.CREDITED: (messages.SUCCESS, "Se emitió la nota de crédito del reembolso {id}."),
    Refund.WAITING: (messages.INFO, "El reembolso {id} espera la factura original: {reason}"),
    Refund.PENDING: (messages.INFO, "El reembolso {id} quedó pendiente: {reason}"),
    Refund.HELD: (messages.WARNING, "El reembolso {id} sigue detenido: {reason}"),
}


def refund_or_404(tenant: Tenant, payment_id: int, refund_id: int) -> Refund:
    return or_404(selectors.get_refund(tenant.org, payment_id, refund_id, livemode=tenant.livemode), "No se encontró el reembolso.")


@org_view
@require_POST
def refund_retry(request: HttpRequest, tenant: Tenant, payment_id: int, refund_id: int) -> HttpResponse:
    """Run a held refund's nota de crédito again; the message says where it ended."""
    refund = refund_or_404(tenant, payment_id, refund_id)
    try:
        refund = retry_refund(refund, actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        level, text = _OUTCOMES.get(refund.status, (messages.INFO, "Reembolso {id}: {reason}"))
        messages.add_message(request, level, text.format(id=refund.refund_id, reason=refund.status_reason))
    return redirect("dashboard:gateway_payment_detail", payment_id=payment_id)


@org_view
@require_POST
def refund_dismiss(request: HttpRequest, tenant: Tenant, payment_id: int, refund_id: int) -> HttpResponse:
    """Mark a held refund as handled by hand, with the reason the person typed."""
    refund = refund_or_404(tenant, payment_id, refund_id)
    try:
        dismiss_refund(refund, reason=request.POST.get("reason", ""), actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"El reembolso {refund.refund_id} quedó como resuelto a mano, con tu motivo.")
    return redirect("dashboard:gateway_payment_detail", payment_id=payment_id)
