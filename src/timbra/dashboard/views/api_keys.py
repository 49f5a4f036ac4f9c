"""API keys: list, create (the token is shown once, on the response page), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.forms import ApiKeyForm
from timbra.orgs.models import ApiKey
from timbra.orgs.services import create_api_key, revoke_api_key


@org_view
def api_keys(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """List the org's keys and create one. The new token goes only into this response: it is
    never stored in the session or the database (only its hash is), so a reload cannot show it."""
    form = ApiKeyForm(request.POST or None, initial={"livemode": "live" if tenant.livemode else "test"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        key, token = create_api_key(tenant.org, name=data["name"], livemode=data["livemode"],
                                    scopes=",".join(data["scopes"]), as_of=timezone.now(),
                                    actor=tenant.actor, source="dashboard")
        response = render_page(request, tenant, "dashboard/settings/api_key_created.html",
                               {"key": key, "token": token, "nav": "settings", "tab": "api"})
        response["Cache-Control"] = "no-store"
        return response
    keys = ApiKey.objects.filter(org=tenant.org).order_by("revoked_at", "-created_at")
    return render_page(request, tenant, "dashboard/settings/api_keys.html",
                       {"form": form, "keys": keys, "nav": "settings", "tab": "api"})


@org_view
@require_POST
def api_key_revoke(request: HttpRequest, tenant: Tenant, key_id: int) -> HttpResponse:
    key = or_404(ApiKey.objects.filter(org=tenant.org, pk=key_id).first(), "No se encontró la clave.")
    revoke_api_key(key, as_of=timezone.now(), actor=tenant.actor, source="dashboard")
    messages.success(request, f"La clave {key.prefix}… quedó revocada; las peticiones con ella serán rechazadas.")
    return redirect("dashboard:api_keys")
