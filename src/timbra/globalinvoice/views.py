"""The public autofactura page: /portal/autofactura/<slug>/ (no account; the receipt code is the
credential). Rate-limited per IP and per code; the same answer for an unknown org or code."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from timbra.domain import catalogs
from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import GlobalInvoiceSettings
from timbra.globalinvoice.services.autofactura import FiscalData, self_invoice
from timbra.globalinvoice.services.rate_limit import allow
from timbra.globalinvoice.services.receipts import normalize_code
from timbra.invoicing.documents import ensure_pdf
from timbra.invoicing.models import Invoice, InvoiceDocument

PER_IP = (20, timedelta(minutes=10))
PER_CODE = (8, timedelta(hours=1))
DOWNLOAD_SALT = "timbra.autofactura.cfdi"
DOWNLOAD_MAX_AGE = timedelta(days=7)


class AutofacturaForm(forms.Form):
    code = forms.CharField(label="Código del ticket", max_length=30,
                           help_text="Viene en tu comprobante de pago, por ejemplo ABCD-EFGH-JKMNP.")
    rfc = forms.CharField(label="RFC", max_length=13, help_text="12 caracteres si es empresa, 13 si es persona.")
    nombre = forms.CharField(label="Nombre o razón social", max_length=300,
                             help_text="Como aparece en tu constancia, sin «S.A. de C.V.».")
    codigo_postal = forms.CharField(label="Código postal fiscal", max_length=5, min_length=5)
    regimen_fiscal = forms.ChoiceField(label="Régimen fiscal")
    uso_cfdi = forms.ChoiceField(label="Uso de la factura")
    email = forms.EmailField(label="Correo (opcional)", required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["regimen_fiscal"].choices = _choices("regimen_fiscal")  # type: ignore[attr-defined]
        self.fields["uso_cfdi"].choices = _choices("uso_cfdi")  # type: ignore[attr-defined]


def _choices(catalog: str) -> list[tuple[str, str]]:
    return [("", "Elige…")] + [(code, f"{code} - {text}") for code, text in catalogs.codes(catalog)]


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def autofactura(request: HttpRequest, slug: str) -> HttpResponse:
    config = GlobalInvoiceSettings.objects.select_related("org").filter(portal_slug=slug).first()
    if config is None:
        raise Http404
    org, as_of = config.org, timezone.now()
    form = AutofacturaForm(request.POST or None)
    context: dict[str, object] = {"org": org, "form": form, "slug": slug}
    status = 200
    if request.method == "POST":
        code = normalize_code(str(request.POST.get("code", "")))
        if not (allow(f"ip:{_client_ip(request)}", limit=PER_IP[0], window=PER_IP[1], as_of=as_of)
                and allow(f"code:{org.pk}:{code}", limit=PER_CODE[0], window=PER_CODE[1], as_of=as_of)):
            context["error"] = "Demasiados intentos. Espera unos minutos y vuelve a intentar."
            return _private(render(request, "globalinvoice/autofactura.html", context, status=429))
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = self_invoice(slug, data["code"], FiscalData(
                    rfc=data["rfc"], nombre=data["nombre"], regimen_fiscal=data["regimen_fiscal"],
                    codigo_postal=data["codigo_postal"], uso_cfdi=data["uso_cfdi"], email=data["email"] or ""),
                    as_of=as_of)  # fmt: skip
            except GlobalInvoiceError as exc:
                context["error"] = exc.message
                status = 404 if exc.code == "receipt_not_found" else 422
            else:
                token = signing.dumps({"i": invoice.pk, "o": org.pk}, salt=DOWNLOAD_SALT)
                context.update(invoice=invoice, token=token)
        else:
            status = 422
    return _private(render(request, "globalinvoice/autofactura.html", context, status=status))


@require_http_methods(["GET"])
def download(request: HttpRequest, slug: str, token: str, kind: str) -> HttpResponse:
    """The CFDI's PDF or XML, by the signed link the result page shows (7 days)."""
    try:
        data = signing.loads(token, salt=DOWNLOAD_SALT, max_age=DOWNLOAD_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    invoice = Invoice.objects.select_related("org").filter(
        pk=data["i"], org_id=data["o"], org__global_invoice_settings__portal_slug=slug
    ).first()
    if invoice is None or kind not in ("pdf", "xml") or not invoice.uuid:
        raise Http404
    if kind == "pdf":
        response = HttpResponse(ensure_pdf(invoice), content_type="application/pdf")
    else:
        xml = InvoiceDocument.objects.values_list("stamped_xml", flat=True).get(invoice=invoice)
        response = HttpResponse(bytes(xml), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{invoice.uuid}.{kind}"'
    return _private(response)
