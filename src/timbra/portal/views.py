"""Public pages of the customer portal. No login: the signed link is the credential."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from timbra.domain import catalogs
from timbra.portal.links import LinkError, customer_for

_STATUS = {"link_expired": 410, "link_invalid": 404}


def _described(catalog: str, code: str) -> str:
    try:
        return f"{code} - {catalogs.describe(catalog, code)}"
    except LookupError:
        return code


@require_GET
def fiscal_data(request: HttpRequest, token: str) -> HttpResponse:
    """Read-only: the fiscal data the issuer will stamp the customer's invoices with."""
    try:
        customer = customer_for(token, as_of=timezone.now())
    except LinkError as exc:
        response = render(request, "portal/link_error.html", {"message": exc.message}, status=_STATUS[exc.code])
    else:
        response = render(request, "portal/fiscal_data.html", {
            "customer": customer, "org": customer.org,
            "regimen": _described("c_RegimenFiscal", customer.regimen_fiscal),
            "uso_cfdi": _described("c_UsoCFDI", customer.uso_cfdi),
        })  # fmt: skip
    # The token is in the URL: keep it out of caches, search engines and Referer headers.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
