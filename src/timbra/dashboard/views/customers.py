"""Customers (receptores): list and search, create, edit their fiscal data."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from timbra.customers.models import Customer
from timbra.customers.services import create_customer, update_customer
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import CustomerForm, SearchForm, attach_error
from timbra.dashboard.views.audit import history_of
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.portal.links import fiscal_data_url

PAGE_SIZE = 25


def _customers(tenant: Tenant) -> QuerySet[Customer]:
    return Customer.objects.filter(org=tenant.org, livemode=tenant.livemode)


def customer_or_404(tenant: Tenant, customer_id: int) -> Customer:
    """The org's customer in the current mode; another org's id is a 404."""
    return or_404(_customers(tenant).filter(pk=customer_id).first(), "No se encontró el cliente.")


def _safe_next(request: HttpRequest) -> str | None:
    """Where to go after saving (the invoice that sent us here), if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@org_view
def customer_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = SearchForm(request.GET or None)
    customers = _customers(tenant).order_by("nombre", "pk")
    if form.is_valid() and (text := form.cleaned_data["q"].strip()):
        customers = customers.filter(Q(rfc__icontains=text) | Q(nombre__icontains=text))
    page = Paginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, tenant, "dashboard/customers/list.html",
                       {"form": form, "page": page, "nav": "customers"})


@org_view
def customer_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = CustomerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = create_customer(tenant.org, form.to_data(), livemode=tenant.livemode, as_of=timezone.now(),
                                       actor=tenant.actor, source="dashboard")
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"Cliente {customer.nombre} creado.")
            return redirect("dashboard:customer_list")
    return render_page(request, tenant, "dashboard/customers/form.html",
                       {"form": form, "customer": None, "nav": "customers"})


@org_view
def customer_edit(request: HttpRequest, tenant: Tenant, customer_id: int) -> HttpResponse:
    """Edit fiscal data; the page lists the customer's held invoices to retry afterwards."""
    customer = customer_or_404(tenant, customer_id)
    form = CustomerForm(request.POST or None, initial=CustomerForm.initial_for(customer))
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        try:
            update_customer(customer, form.to_data(), as_of=timezone.now(), actor=tenant.actor,
                            source="dashboard")
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Datos fiscales guardados. Reintenta las facturas detenidas de este cliente.")
            if next_url:
                return redirect(next_url)
            return redirect("dashboard:customer_edit", customer_id=customer.pk)
    held = Invoice.objects.filter(org=tenant.org, livemode=tenant.livemode, customer=customer,
                                  status=InvoiceStatus.HELD).order_by("-created_at")
    return render_page(request, tenant, "dashboard/customers/form.html",
                       {"form": form, "customer": customer, "held": held, "next": next_url or "",
                        "nav": "customers", "portal_url": fiscal_data_url(customer, as_of=timezone.now()),
                        "history": history_of(tenant.org, "customer", customer.pk)})
