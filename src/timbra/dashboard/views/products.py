"""Products and services: list, create, edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from timbra.catalog.models import Product
from timbra.catalog.services import create_product, update_product
from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import ProductForm, SearchForm, attach_error
from timbra.invoicing.errors import InvoicingError

PAGE_SIZE = 25


def _products(tenant: Tenant) -> QuerySet[Product]:
    return Product.objects.filter(org=tenant.org, livemode=tenant.livemode)


def product_or_404(tenant: Tenant, product_id: int) -> Product:
    """The org's product in the current mode; another org's id is a 404."""
    return or_404(_products(tenant).filter(pk=product_id).first(), "No se encontró el producto.")


@org_view
def product_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = SearchForm(request.GET or None)
    products = _products(tenant).order_by("descripcion", "pk")
    if form.is_valid() and (text := form.cleaned_data["q"].strip()):
        products = products.filter(Q(descripcion__icontains=text) | Q(sku__icontains=text)
                                   | Q(clave_prod_serv__startswith=text))
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, tenant, "dashboard/products/list.html",
                       {"form": form, "page": page, "nav": "products"})


@org_view
def product_new(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = create_product(tenant.org, form.to_data(), livemode=tenant.livemode, as_of=timezone.now())
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"Producto «{product.descripcion}» creado.")
            return redirect("dashboard:product_list")
    return render_page(request, tenant, "dashboard/products/form.html",
                       {"form": form, "product": None, "nav": "products"})


@org_view
def product_edit(request: HttpRequest, tenant: Tenant, product_id: int) -> HttpResponse:
    product = product_or_404(tenant, product_id)
    form = ProductForm(request.POST or None, initial=ProductForm.initial_for(product))
    if request.method == "POST" and form.is_valid():
        try:
            update_product(product, form.to_data(), as_of=timezone.now())
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Producto guardado.")
            return redirect("dashboard:product_list")
    return render_page(request, tenant, "dashboard/products/form.html",
                       {"form": form, "product": product, "nav": "products"})
