"""Ajustes › Cancelación (issue 11): whether a gateway's void or full refund cancels the CFDI by itself."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.dashboard.forms_corrections import CancellationSettingsForm
from timbra.invoicing.cancel_settings import configure_cancellation, settings_for


@org_view
def cancellation_settings(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    current = settings_for(tenant.org)
    initial = {"cancel_on_gateway_void": current.cancel_on_gateway_void,
               "cancel_on_full_refund": current.cancel_on_full_refund}
    form = CancellationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        configure_cancellation(tenant.org, as_of=timezone.now(), **form.cleaned_data)
        messages.success(request, "Ajustes de cancelación guardados.")
        return redirect("dashboard:cancellation_settings")
    return render_page(request, tenant, "dashboard/settings/cancellation.html",
                       {"form": form, "nav": "settings", "tab": "cancellation"})
