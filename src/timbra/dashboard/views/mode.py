"""The test/live switch and the org switch: which org's invoices, customers and products the
dashboard shows, and in which mode."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from timbra.dashboard.access import LIVEMODE_SESSION_KEY, ORG_SESSION_KEY, Tenant, org_view
from timbra.invoicing.pacs import org_live_pac
from timbra.orgs.models import Membership


def _back_to(request: HttpRequest) -> str:
    """The page the switch was pressed on, unless it shows one object: objects belong to one
    mode, so going back to it after switching would be a 404."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        try:
            match = resolve(urlsplit(target).path)
        except Resolver404:
            match = None
        if match is not None and not match.kwargs:
            return target
    return reverse("dashboard:home")


@org_view
@require_POST
def switch_mode(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Store the chosen mode in the session (pruebas by default) and go back."""
    livemode = request.POST.get("mode") == "live"
    request.session[LIVEMODE_SESSION_KEY] = livemode
    messages.info(request, _mode_message(tenant, livemode))
    return redirect(_back_to(request))


def _mode_message(tenant: Tenant, livemode: bool) -> str:
    """What the switch really means: production is fiscally valid only once the org switched to
    live with a real PAC (orgs.onboarding.go_live); until then its invoices wait."""
    if not livemode:
        return "Modo pruebas: nada de lo que hagas aquí tiene validez fiscal."
    pac = org_live_pac(tenant.org)
    if pac is None:
        return ("Modo producción sin PAC: las facturas que emitas esperarán sin timbrar hasta que configures "
                "un PAC real y actives el modo producción en Primeros pasos.")
    return f"Modo producción: las facturas se timbran con tu PAC ({pac.name})."


@org_view
@require_POST
def switch_org(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Work on another of the user's orgs (issuers). Only an org the user is a member of is
    accepted; anything else leaves the choice as it was."""
    org_id = request.POST.get("org", "")
    chosen = (Membership.objects.filter(user=request.user, org_id=int(org_id)).select_related("org").first()
              if org_id.isdigit() else None)
    if chosen is None:
        messages.error(request, "No perteneces a esa empresa.")
        return redirect("dashboard:home")
    request.session[ORG_SESSION_KEY] = chosen.org_id
    messages.info(request, f"Ahora trabajas en {chosen.org.nombre} ({chosen.org.rfc}).")
    return redirect("dashboard:home")
