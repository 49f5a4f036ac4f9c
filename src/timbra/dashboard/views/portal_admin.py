"""The portal seen from the dashboard: the chase policy and public page (Ajustes), revoking a
customer's links, and giving a waiting Cobro its customer (existing, or typed by staff)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.customers.models import Customer
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import CustomerForm, attach_error
from timbra.dashboard.portal_forms import AssignCustomerForm, ChasePolicyForm
from timbra.dashboard.views.customers import customer_or_404
from timbra.invoicing.errors import InvoicingError
from timbra.payments import selectors
from timbra.portal.services.assign_customer import assign_customer
from timbra.portal.services.chase import policy_of, set_chase_policy
from timbra.portal.services.revoke_links import revoke_links
from timbra.portal.views.entry import public_url


def _customers(tenant: Tenant) -> object:
    return Customer.objects.filter(org=tenant.org, livemode=tenant.livemode).order_by("nombre", "pk")


@org_view
def portal_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    policy = policy_of(tenant.org)
    initial = {"enabled": policy.enabled, "reminder_days": ", ".join(str(d) for d in policy.reminder_days)}
    form = ChasePolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            set_chase_policy(tenant.org, enabled=form.cleaned_data["enabled"], reminder_days=form.days(),
                             as_of=timezone.now())
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Ajustes del portal guardados.")
            return redirect("dashboard:portal_settings")
    return render_page(request, tenant, "dashboard/settings/portal.html",
                       {"form": form, "public_url": public_url(tenant.org), "nav": "settings", "tab": "portal"})


@org_view
@require_POST
def customer_revoke_links(request: HttpRequest, tenant: Tenant, customer_id: int) -> HttpResponse:
    customer = customer_or_404(tenant, customer_id)
    revoke_links(customer, actor=tenant.actor, as_of=timezone.now())
    messages.success(request, "Los enlaces al portal que recibió este cliente ya no funcionan; "
                              "el próximo correo llevará uno nuevo.")
    return redirect("dashboard:customer_edit", customer_id=customer.pk)


@org_view
@require_POST
def payment_assign_customer(request: HttpRequest, tenant: Tenant, payment_id: int) -> HttpResponse:
    """Give a waiting payment an existing customer ("existente") or one typed here ("nuevo")."""
    payment = or_404(selectors.get_payment(tenant.org, payment_id, livemode=tenant.livemode),
                     "No se encontró el cobro.")
    assign_form = AssignCustomerForm(request.POST if "existente" in request.POST else None,
                                     customers=_customers(tenant))  # type: ignore[arg-type]
    new_form = CustomerForm(request.POST if "nuevo" in request.POST else None,
                            initial=initial_from_payment(payment.fiscal_data or {}))
    form = assign_form if "existente" in request.POST else new_form
    if form.is_valid():
        try:
            if form is assign_form:
                assign_customer(payment, actor=tenant.actor, as_of=timezone.now(),
                                customer=assign_form.cleaned_data["customer"])
            else:
                assign_customer(payment, actor=tenant.actor, as_of=timezone.now(), data=new_form.to_data())
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Cliente asignado: el cobro se está facturando.")
            return redirect("dashboard:gateway_payment_detail", payment_id=payment.pk)
    from timbra.dashboard.views.gateway_payments import render_payment_detail

    return render_payment_detail(request, tenant, payment, assign_form=assign_form, new_form=new_form, status=400)


def initial_from_payment(said: dict[str, str]) -> dict[str, object]:
    keys = ("rfc", "nombre", "regimen_fiscal", "codigo_postal", "uso_cfdi")
    initial: dict[str, object] = {k: said[k] for k in keys if said.get(k)}
    if said.get("email"):
        initial["emails"] = said["email"]
    return initial
