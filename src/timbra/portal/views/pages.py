"""The portal page: the customer's fiscal data (editable, or read from their CSF), what waits for
it, and their invoices. Plain forms that work without JavaScript; templates/portal/_portal.js (inlined
in the page: nothing from a CDN, no extra URL) adds live validation and polls the status fragment
after a save."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from timbra.customers.services import FISCAL_FIELDS
from timbra.domain.taxpayer import normalize_nombre, normalize_rfc, validate_fiscal_data
from timbra.invoicing.errors import InvoicingError
from timbra.portal import ratelimit, selectors
from timbra.portal.csf import CsfError, read_csf
from timbra.portal.forms import CsfUploadForm, FiscalDataForm, ZipRangeForm
from timbra.portal.links import Subject, fiscal_data_token
from timbra.portal.services.save_fiscal_data import save_fiscal_data
from timbra.portal.views.access import page, portal_view

HISTORY_ROWS = 50


def _initial(subject: Subject) -> dict[str, str]:
    if subject.customer is not None:
        return {k: getattr(subject.customer, k) for k in FISCAL_FIELDS}
    said = (subject.payment.fiscal_data if subject.payment else None) or {}
    return {"uso_cfdi": "G03", **{k: str(said[k]) for k in FISCAL_FIELDS if said.get(k)}}


def status_context(subject: Subject, *, saved: bool = False) -> dict[str, Any]:
    """What waits, what is on its way, the latest CFDIs; `pending` keeps the page polling. Right
    after a save, held invoices count as pending too: the release job may not have run yet."""
    customer = subject.customer
    waiting = list(selectors.waiting_payments(subject))
    held = list(selectors.held_invoices(customer)) if customer else []
    working = list(selectors.in_progress_invoices(customer)) if customer else []
    recent = list(selectors.invoices_of(customer)[:5]) if customer else []
    pending = bool(working) or (customer is not None and (bool(waiting) or (saved and bool(held))))
    return {"waiting": waiting, "held": held, "working": working, "recent": recent, "pending": pending,
            "saved": saved}


def render_portal(request: HttpRequest, subject: Subject, token: str, *, form: FiscalDataForm | None = None,
                  csf_form: CsfUploadForm | None = None, notice: str = "", csf_error: str = "",
                  status: int = 200) -> HttpResponse:
    customer = subject.customer
    history = list(selectors.invoices_of(customer)[:HISTORY_ROWS]) if customer else []
    context = {
        "subject": subject, "token": token, "customer": customer, "notice": notice, "csf_error": csf_error,
        "form": form or FiscalDataForm(initial=_initial(subject)), "csf_form": csf_form or CsfUploadForm(),
        "zip_form": ZipRangeForm(), "history": history,
        **status_context(subject, saved=request.GET.get("guardado") == "1"),
    }
    return page(request, "portal/portal.html", context, org=subject.org, status=status)


@require_http_methods(["GET", "POST"])
@portal_view("view")
def fiscal_data(request: HttpRequest, subject: Subject, token: str) -> HttpResponse:
    """GET: the portal. POST: save the fiscal data (then the page polls what it released)."""
    if request.method == "GET":
        return render_portal(request, subject, token)
    if not ratelimit.allowed(request, "write", as_of=timezone.now()):
        return render_portal(request, subject, token, notice="Demasiados intentos; espera unos minutos.",
                             status=429)
    form = FiscalDataForm(request.POST)
    if not form.is_valid():
        return render_portal(request, subject, token, form=form, status=400)
    try:
        customer = save_fiscal_data(subject, form.cleaned_data, as_of=timezone.now())
    except InvoicingError as exc:
        form.attach(exc)
        return render_portal(request, subject, token, form=form, status=400)
    if subject.customer is None:  # a payment link: from now on, the customer's own link
        token = fiscal_data_token(customer, as_of=timezone.now())
    return redirect(reverse("portal:fiscal_data", args=[token]) + "?guardado=1#estado")


@require_POST
@portal_view("write")
def upload_csf(request: HttpRequest, subject: Subject, token: str) -> HttpResponse:
    """Read the CSF and pre-fill the form for confirmation (nothing is saved, the PDF is not kept)."""
    csf_form = CsfUploadForm(request.POST, request.FILES)
    if not csf_form.is_valid():
        return render_portal(request, subject, token, csf_form=csf_form, status=400)
    try:
        data = read_csf(csf_form.cleaned_data["constancia"].read())
    except CsfError as exc:
        return render_portal(request, subject, token, csf_error=exc.message, status=422)
    initial = {**_initial(subject), **data.initial()}
    notice = "Leímos tu constancia. Revisa los datos y confirma con «Guardar mis datos»."
    if not data.nombre or not data.codigo_postal or not data.regimenes:
        notice = ("De tu constancia solo pudimos leer parte de los datos (" + data.rfc + "). Completa lo que falta "
                  "y confirma con «Guardar mis datos».")
    if len(data.regimenes) > 1:
        notice += " Tu constancia tiene varios regímenes vigentes; elige el que corresponde a esta compra."
    return render_portal(request, subject, token, form=FiscalDataForm(initial=initial), notice=notice)


@require_POST
@portal_view("view")
def validate(request: HttpRequest, subject: Subject, token: str) -> JsonResponse:
    """Live feedback while typing: the same checks as saving, as {field: message}."""
    values = {k: str(request.POST.get(k, "")).strip() for k in FISCAL_FIELDS}
    rfc, nombre = normalize_rfc(values["rfc"]), normalize_nombre(values["nombre"])
    problems = validate_fiscal_data(rfc, nombre, values["regimen_fiscal"], values["codigo_postal"],
                                    values["uso_cfdi"], lugar_expedicion=subject.org.lugar_expedicion)
    errors: dict[str, str] = {}
    for problem in problems:
        errors.setdefault(problem.field, problem.message)
    return JsonResponse({"errors": {k: v for k, v in errors.items() if values.get(k)}, "rfc": rfc, "nombre": nombre})


@require_GET
@portal_view("view")
def status_fragment(request: HttpRequest, subject: Subject, token: str) -> HttpResponse:
    """What the page polls after a save: waiting payments, invoices on their way, the latest CFDIs."""
    return page(request, "portal/_status.html", {
        "token": token, "customer": subject.customer,
        **status_context(subject, saved=request.GET.get("guardado") == "1")}, org=subject.org)
