"""Cobros: payments from gateways (and API/CSV sales) with fee, net, forma de pago, state and
their invoice."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import CustomerForm
from timbra.dashboard.gateway_forms import PaymentFilterForm
from timbra.dashboard.portal_forms import AssignCustomerForm
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.selectors import autofactura_url, display_code
from timbra.payments import selectors
from timbra.payments.models import Payment, WebhookEvent

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
    return render_payment_detail(request, tenant, payment)


def render_payment_detail(request: HttpRequest, tenant: Tenant, payment: Payment, *,
                          assign_form: AssignCustomerForm | None = None, new_form: CustomerForm | None = None,
                          status: int = 200) -> HttpResponse:
    """The Cobro page; a payment waiting for fiscal data also offers to assign its customer."""
    events = WebhookEvent.objects.filter(payment=payment).order_by("received_at")
    context = {"payment": payment, "events": events, "nav": "gateway_payments",
               "external_id": selectors.external_id(payment), "refunds": list(selectors.refunds_of(payment))}
    receipt = Receipt.objects.filter(payment=payment).first()  # not invoiced nominatively: autofactura code
    context.update({"receipt": receipt, "receipt_code": display_code(receipt.code) if receipt else "",
                    "receipt_url": autofactura_url(receipt) if receipt else ""})
    if payment.status in (Payment.AWAITING_FISCAL_DATA, Payment.FAILED) and not payment.invoice_id:
        from timbra.dashboard.views.portal_admin import _customers, initial_from_payment
        from timbra.portal.services.chase import chase_deadline

        context.update({
            "assign_form": assign_form or AssignCustomerForm(customers=_customers(tenant)),  # type: ignore[arg-type]
            "new_form": new_form or CustomerForm(initial=initial_from_payment(payment.fiscal_data or {})),
            "chase_notices": list(payment.notices.order_by("index", "pk")),
            "deadline": chase_deadline(payment) if payment.status == Payment.AWAITING_FISCAL_DATA else None,
        })
    return render_page(request, tenant, "dashboard/gateways/payment_detail.html", context, status=status)
