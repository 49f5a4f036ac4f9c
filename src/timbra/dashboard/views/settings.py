"""Ajustes del emisor: fiscal data (read-only), email, brand colour, logo, default serie."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.dashboard.forms import OrgSettingsForm
from timbra.orgs.selectors import stamps_per_month
from timbra.orgs.services import update_org_settings


@org_view
def org_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    org = tenant.org
    initial = {"email": org.email, "brand_color": org.brand_color, "default_serie": org.default_serie,
               "minutes_per_invoice": org.minutes_per_invoice}
    form = OrgSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        update_org_settings(org, email=data["email"], brand_color=data["brand_color"],
                            default_serie=data["default_serie"], logo=data["logo"], remove_logo=data["remove_logo"],
                            minutes_per_invoice=data.get("minutes_per_invoice"))
        messages.success(request, "Ajustes guardados. Los PDF nuevos usarán el color y el logotipo actuales.")
        return redirect("dashboard:settings")
    stamps = stamps_per_month(org, as_of=timezone.now(), months=6)
    return render_page(request, tenant, "dashboard/settings/org.html",
                       {"form": form, "org": org, "nav": "settings", "tab": "org", "stamps": stamps})


@org_view
@require_GET
def org_logo(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """The org's own logo (for the settings preview); never another org's."""
    logo = tenant.org.logo
    if not logo:
        raise Http404("Sin logotipo.")
    data = bytes(logo)
    content_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-cache"
    return response
