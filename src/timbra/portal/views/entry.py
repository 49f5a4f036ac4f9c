"""The business's public portal page: a person types their email and gets their link by email.

The page answers the same whether the email is known or not, and the org is named by a signed
key (public_key), not by its id: neither customers nor orgs can be enumerated from here. This is
also where a later "enter your receipt code" form (autofactura) belongs.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from timbra.orgs.models import Org
from timbra.portal import ratelimit
from timbra.portal.forms import LinkRequestForm
from timbra.portal.services.request_link import request_link
from timbra.portal.views.access import page, too_many

SALT = "timbra.portal.public-page"
SENT = ("Si ese correo está registrado con {org}, en unos minutos te llegará un enlace para ver y corregir tus "
        "datos fiscales y descargar tus facturas. Revisa también tu carpeta de correo no deseado.")


def public_key(org: Org) -> str:
    return signing.Signer(salt=SALT).sign(str(org.pk))


def public_url(org: Org) -> str:
    from timbra.portal.links import absolute

    return absolute(reverse("portal:entry", args=[public_key(org)]))


def _org(key: str) -> Org | None:
    try:
        org_id = int(signing.Signer(salt=SALT).unsign(key))
    except (signing.BadSignature, ValueError):
        return None
    return Org.objects.filter(pk=org_id).first()


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, key: str) -> HttpResponse:
    now = timezone.now()
    if not ratelimit.allowed(request, "view", as_of=now):
        return too_many(request)
    org = _org(key)
    if org is None:
        return page(request, "portal/message.html", {"title": "Página no disponible", "error": True,
                                                     "message": "Esta dirección no corresponde a ningún negocio."},
                    org=None, status=404)
    form = LinkRequestForm(request.POST or None)
    sent = ""
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not ratelimit.allowed(request, "lookup", as_of=now, extra=f"{org.pk}:{email}"):
            return too_many(request, org)
        request_link(org, email, as_of=now)
        sent, form = SENT.format(org=org.nombre), LinkRequestForm()
    return page(request, "portal/entry.html", {"form": form, "sent": sent, "autofactura": _autofactura_path(org)},
                org=org, status=400 if request.method == "POST" and not sent else 200)


def _autofactura_path(org: Org) -> str:
    """The org's autofactura page (globalinvoice), for a customer who has a receipt code instead."""
    from timbra.globalinvoice.models import GlobalInvoiceSettings

    slug = GlobalInvoiceSettings.objects.filter(org=org).values_list("portal_slug", flat=True).first()
    return f"/portal/autofactura/{slug}/" if slug else ""
