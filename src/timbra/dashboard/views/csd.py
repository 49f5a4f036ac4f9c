"""Certificado de sello digital: the current one, its validity, and uploading a new one."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from timbra.csd.certificate import CsdError
from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.dashboard.forms import CsdUploadForm
from timbra.orgs.csds import upload_csd
from timbra.orgs.models import Csd, Org


def _current_csd(org: Org, now: datetime) -> dict[str, object] | None:
    csd = Csd.objects.filter(org=org, active=True).order_by("-uploaded_at").first()
    if csd is None:
        return None
    days_left = (csd.valid_to - now).days
    return {"csd": csd, "days_left": days_left, "expired": csd.valid_to <= now,
            "expiring": csd.valid_to > now and days_left <= org.csd_warn_days}


def uploaded_csd(request: HttpRequest, tenant: Tenant, form: CsdUploadForm, *, as_of: datetime) -> Csd | None:
    """The CSD a valid POST of `form` uploaded (every check of orgs.csds.upload_csd), or None with the
    reason on the form. Shared by the settings page and the onboarding wizard."""
    if request.method != "POST" or not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return upload_csd(tenant.org, cer=data["cer"], key=data["key"], password=data["password"], as_of=as_of,
                          actor=tenant.actor, source="dashboard")
    except CsdError as exc:
        form.add_error(None, exc.message_es)
        return None


@org_view
def csd_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    """Show the active CSD (with an expiry warning) and take a new .cer/.key/password."""
    now = timezone.now()
    form = CsdUploadForm(request.POST or None, request.FILES or None)
    if (csd := uploaded_csd(request, tenant, form, as_of=now)) is not None:
        messages.success(request, f"CSD {csd.no_certificado} cargado; se usará para sellar las facturas nuevas.")
        return redirect("dashboard:csd")
    return render_page(request, tenant, "dashboard/settings/csd.html",
                       {"form": form, "current": _current_csd(tenant.org, now), "nav": "settings", "tab": "csd"})
