"""Cobros: payments from gateways (and API/CSV sales) with fee, net, forma de pago, state and
their invoice."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.gateway_forms import PaymentFilterForm
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.selectors import autofactura_url, display_code
from timbra.payments import selectors
from timbra.payments.models import WebhookEvent

PAGE_SIZE = 50


@org_view
def payment_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = PaymentFilterForm(request.GET or None)
    payments = selectors.payments_for(tenant.org, livemode=tenant.livemode).order_by("-paid_at", "-pk")
    if form.is_valid() and (status := form.cleaned_data["status"]):
        payments = payments.filter(status=status)
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, tenant, "dashboard/gateways/payments.html",
                       {"form": form, "page": page, "nav": "gateway_payments"})


@org_view
def payment_detail(request: HttpRequest, tenant: Tenant, payment_id: int) -> HttpResponse:
    payment = or_404(selectors.get_payment(tenant.org, payment_id, livemode=tenant.livemode), "No se encontró el cobro.")
    events = WebhookEvent.objects.filter(payment=payment).order_by("received_at")
    receipt = Receipt.objects.filter(payment=payment).first()  # not invoiced nominatively: autofactura code
    return render_page(request, tenant, "dashboard/gateways/payment_detail.html",
                       {"payment": payment, "events": events, "nav": "gateway_payments", "receipt": receipt,
                        "receipt_code": display_code(receipt.code) if receipt else "",
                        "receipt_url": autofactura_url(receipt) if receipt else "",
                        "external_id": selectors.external_id(payment),
                        "refunds": list(selectors.refunds_of(payment))})
