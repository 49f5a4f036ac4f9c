"""Primeros pasos: a business sets itself up, step by step, then switches to live.

Company → CSD → PAC (with «Probar conexión») → first customer → first invoice (test mode) →
production. Each step's «done» comes from the data (orgs.selectors.onboarding_progress), so a
step can be revisited at any time; the services do every check.
"""

from __future__ import annotations

from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.customers.models import Customer
from timbra.customers.services import create_customer
from timbra.dashboard.access import (
    LIVEMODE_SESSION_KEY,
    Tenant,
    active_membership,
    actor_of,
    forbidden,
    org_view,
    permitted,
    render_page,
    second_factor_redirect,
    tenant_of,
)
from timbra.dashboard.forms import CsdUploadForm, CustomerForm, attach_error
from timbra.dashboard.onboarding_forms import CompanyForm, FirstInvoiceForm, PacForm
from timbra.dashboard.views.csd import _current_csd, uploaded_csd
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org, OrgPac
from timbra.orgs.onboarding import correct_fiscal_data, create_company, go_live, go_test_only
from timbra.orgs.pac_settings import PACS, check_pac_connection, save_pac_settings
from timbra.orgs.selectors import live_blockers, onboarding_progress
from timbra.orgs.services import update_org_settings

STEPS = (("company", "Empresa"), ("csd", "Certificado (CSD)"), ("pac", "PAC"), ("customer", "Primer cliente"),
         ("invoice", "Primera factura"), ("live", "Producción"))
# A SAT test taxpayer: in test mode the sandbox PAC, like a real PAC's test service, accepts only
# receptores registered in the SAT's test registry (sat/test-taxpayers.csv).
TEST_RECEPTOR = {"rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
                 "codigo_postal": "86991", "uso_cfdi": "G03"}


def _page(request: HttpRequest, tenant: Tenant | None, step: str, context: dict[str, Any]) -> HttpResponse:
    org = tenant.org if tenant else None
    progress = onboarding_progress(org, as_of=timezone.now())
    steps = [{"key": key, "label": label, "done": getattr(progress, key), "current": key == step}
             for key, label in STEPS]
    context = {"steps": steps, "step": step, "nav": "onboarding", "tenant": tenant, **context}
    return render_page(request, tenant, f"dashboard/onboarding/{step}.html", context)  # type: ignore[arg-type]


@org_view
def start(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The first step not done yet."""
    progress = onboarding_progress(tenant.org, as_of=timezone.now())
    step = next((key for key, _ in STEPS if not getattr(progress, key)), "live")
    return redirect(f"dashboard:onboarding_{step}")


def _company_view(view: Any) -> Any:
    """Like org_view, but a user without an org yet (just signed up) is welcome: this step creates it."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        membership = active_membership(request)
        if membership is None:
            return view(request, None)
        if (second := second_factor_redirect(request, membership)) is not None:
            return second
        tenant = tenant_of(request, membership)
        if not permitted(request, tenant.role):
            return forbidden(request, tenant)
        with timezone.override(ZoneInfo(tenant.org.timezone)):
            return view(request, tenant)

    return login_required(wrapper)


def _fiscal_locked(org: Org | None) -> bool:
    return org is not None and (org.csds.exists() or Invoice.objects.filter(org=org).exists())


@_company_view
def company(request: HttpRequest, tenant: Tenant | None) -> HttpResponse:
    """Step 1: create the company (or correct it before its CSD), and the invoices' look."""
    org = tenant.org if tenant else None
    locked = _fiscal_locked(org)
    initial = ({name: getattr(org, name) for name in ("rfc", "nombre", "regimen_fiscal", "lugar_expedicion",
                                                       "timezone", "email", "brand_color", "default_serie")}
               if org else {"email": request.user.email, "brand_color": "#1F4E79", "default_serie": "A"})
    form = CompanyForm(request.POST or None, request.FILES or None, initial=initial, fiscal_locked=locked)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _save_company(request, org, data, locked=locked)
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Datos de tu empresa guardados.")
            return redirect("dashboard:onboarding_csd")
    return _page(request, tenant, "company", {"form": form, "org": org, "locked": locked})


def _save_company(request: HttpRequest, org: Org | None, data: dict[str, Any], *, locked: bool) -> None:
    now, actor = timezone.now(), actor_of(request)
    fiscal = {name: data[name] for name in ("rfc", "nombre", "regimen_fiscal", "lugar_expedicion")} if not locked else {}
    if org is None:
        create_company(owner=request.user, **fiscal, timezone=data["timezone"] or None,  # type: ignore[arg-type]
                       serie=data["default_serie"], email=data["email"], brand_color=data["brand_color"],
                       logo=data["logo"], actor=actor, as_of=now)
        return
    if not locked:
        correct_fiscal_data(org, **fiscal, timezone=data["timezone"] or None, actor=actor, as_of=now)
    update_org_settings(org, email=data["email"], brand_color=data["brand_color"],
                        default_serie=data["default_serie"], logo=data["logo"], remove_logo=False)


@org_view
def csd(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Step 2: the CSD, with every check of the settings page (orgs.csds.upload_csd)."""
    now = timezone.now()
    form = CsdUploadForm(request.POST or None, request.FILES or None)
    if (uploaded := uploaded_csd(request, tenant, form, as_of=now)) is not None:
        messages.success(request, f"CSD {uploaded.no_certificado} cargado.")
        return redirect("dashboard:onboarding_pac")
    return _page(request, tenant, "csd", {"form": form, "current": _current_csd(tenant.org, now)})


@org_view
def pac(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Step 3: which PAC stamps the live invoices, and its credentials (stored encrypted)."""
    current = OrgPac.objects.filter(org=tenant.org).first()
    initial = ({"name": current.name, "test_environment": "test" if current.test_environment else "live",
                "base_url": current.base_url} if current else {})
    form = PacForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            save_pac_settings(tenant.org, name=form.cleaned_data["name"], credentials=form.credentials(),
                              base_url=form.cleaned_data["base_url"],
                              test_environment=form.cleaned_data["test_environment"], actor=tenant.actor,
                              as_of=timezone.now())
        except InvoicingError as exc:
            field = PacForm.key(form.cleaned_data["name"], exc.field)
            form.add_error(field if field in form.fields else (exc.field if exc.field in form.fields else None),
                           exc.message)
        else:
            messages.success(request, "PAC guardado. Prueba la conexión antes de activar producción.")
            return redirect("dashboard:onboarding_pac")
    return _page(request, tenant, "pac", {"form": form, "current": current,
                                          "label": PACS[current.name].label if current else "",
                                          "pacs": PACS.values()})


@org_view
@require_POST
def pac_check(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """«Probar conexión»: the PAC's harmless endpoint with the stored credentials."""
    try:
        result = check_pac_connection(tenant.org, actor=tenant.actor, as_of=timezone.now())
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        (messages.success if result.ok else messages.error)(request, result.message)
    return redirect("dashboard:onboarding_pac")


@org_view
def customer(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Step 4: a first customer, in test mode."""
    form = CustomerForm(request.POST or None, initial=TEST_RECEPTOR)
    if request.method == "POST" and form.is_valid():
        try:
            create_customer(tenant.org, form.to_data(), livemode=False, as_of=timezone.now(),
                            actor=tenant.actor, source="dashboard")
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, "Cliente de prueba guardado.")
            return redirect("dashboard:onboarding_invoice")
    customers = Customer.objects.filter(org=tenant.org, livemode=False).order_by("-pk")[:5]
    return _page(request, tenant, "customer", {"form": form, "customers": customers})


@org_view
def invoice(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Step 5: a first invoice in test mode, sealed with the CSD and stamped by the sandbox PAC."""
    customers = Customer.objects.filter(org=tenant.org, livemode=False).order_by("nombre")
    form = FirstInvoiceForm(request.POST or None, customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            created = create_invoice(tenant.org, form.to_input(), livemode=False, as_of=timezone.now(),
                                     actor=tenant.actor)
        except InvoicingError as exc:
            attach_error(form, exc)
        else:
            messages.success(request, f"Factura de prueba {created.serie_folio} creada; se sella y timbra en "
                                      "seguida con el PAC de pruebas (sin validez fiscal).")
            return redirect("dashboard:onboarding_invoice")
    invoices = Invoice.objects.filter(org=tenant.org, livemode=False).select_related("customer").order_by("-pk")[:5]
    return _page(request, tenant, "invoice", {"form": form, "invoices": invoices,
                                              "no_customers": not customers.exists()})


@org_view
def live(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Step 6: the explicit switch to live, refused with the reasons until it can work."""
    org, now = tenant.org, timezone.now()
    refused = ""
    if request.method == "POST":
        if request.POST.get("action") == "deactivate":
            go_test_only(org, actor=tenant.actor, as_of=now)
            messages.info(request, "Modo producción desactivado: las facturas de producción esperarán.")
            return redirect("dashboard:onboarding_live")
        try:
            go_live(org, actor=tenant.actor, as_of=now)
        except InvoicingError as exc:
            refused = exc.message
        else:
            request.session[LIVEMODE_SESSION_KEY] = True
            messages.success(request, "Modo producción activado: tus facturas de producción se timbran con tu PAC.")
            return redirect("dashboard:onboarding_live")
    org.refresh_from_db(fields=["live_enabled_at"])
    current = OrgPac.objects.filter(org=org).first()
    return _page(request, tenant, "live", {
        "blockers": [] if org.live_enabled_at else live_blockers(org, as_of=now), "refused": refused,
        "current": current, "label": PACS[current.name].label if current else "", "org": org,
    })
