"""Who a portal request is for: the link's subject, checked, rate-limited, in the org's time zone.

Every portal response is kept out of caches, search engines and Referer headers (the token is in
the URL; same-origin Referer only). An org, customer or invoice comes only from the signed link, never from the request.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from timbra.orgs.models import Org
from timbra.portal import ratelimit
from timbra.portal.links import LinkError, Subject, subject_for

P = ParamSpec("P")
_STATUS = {"link_expired": 410, "link_invalid": 404}
TOO_MANY = ("Recibimos demasiadas solicitudes desde tu conexión. Espera unos minutos y vuelve a intentarlo.")


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # no-referrer makes browsers send "Origin: null" on POST (CSRF)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def branding(org: Org | None) -> dict[str, Any]:
    """The org's colour and logo (inline: no extra URL that could name an org)."""
    if org is None:
        return {"brand_color": "#1F4E79", "logo_src": ""}
    logo = bytes(org.logo) if org.logo else b""
    kind = "png" if logo.startswith(b"\x89PNG") else "jpeg"
    src = f"data:image/{kind};base64,{base64.b64encode(logo).decode()}" if logo else ""
    return {"brand_color": org.brand_color or "#1F4E79", "logo_src": src, "org": org}


def page(request: HttpRequest, template: str, context: dict[str, Any], *, org: Org | None,
         status: int = 200) -> HttpResponse:
    return private(render(request, template, {**branding(org), **context}, status=status))


def too_many(request: HttpRequest, org: Org | None = None) -> HttpResponse:
    return page(request, "portal/message.html", {"title": "Espera un momento", "message": TOO_MANY},
                org=org, status=429)


def portal_view(limit: str) -> Callable[[Callable[Concatenate[HttpRequest, Subject, str, P],
                                                              HttpResponse]], Callable[..., HttpResponse]]:
    """Resolve the token to its subject (or an error page), count the request, and call
    `view(request, subject, token, ...)` with dates in the org's time zone."""

    def decorate(view: Callable[Concatenate[HttpRequest, Subject, str, P], HttpResponse]
                 ) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            now = timezone.now()
            if not ratelimit.allowed(request, limit, as_of=now):
                return too_many(request)
            try:
                subject = subject_for(token, as_of=now)
            except LinkError as exc:
                return page(request, "portal/message.html",
                            {"title": "Enlace no disponible", "message": exc.message, "error": True},
                            org=None, status=_STATUS[exc.code])
            with timezone.override(ZoneInfo(subject.org.timezone)):
                return private(view(request, subject, token, *args, **kwargs))

        return wrapper

    return decorate
