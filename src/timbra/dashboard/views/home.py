"""Inicio: the numbers a team checks every morning (dashboard.metrics computes them)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from timbra.dashboard import metrics
from timbra.dashboard.access import Tenant, org_view, render_page


@org_view
def home(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    figures = metrics.home(tenant.org, livemode=tenant.livemode, as_of=timezone.now())
    return render_page(request, tenant, "dashboard/home.html", {"m": figures, "nav": "home"})
