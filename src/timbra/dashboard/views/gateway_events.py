"""Eventos: every gateway event received, what it produced (payment, invoice) or why not,
its raw payload, and "Reprocesar" for the open ones."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.gateway_forms import EventFilterForm
from timbra.dashboard.views.gateways import PROVIDER_LABELS
from timbra.invoicing.errors import InvoicingError
from timbra.payments import selectors
from timbra.payments.models import WebhookEvent
from timbra.payments.services.manage_connection import reprocess_event

PAGE_SIZE = 50


def event_or_404(tenant: Tenant, event_id: int) -> WebhookEvent:
    return or_404(selectors.get_event(tenant.org, event_id, livemode=tenant.livemode), "No se encontró el evento.")


@org_view
def event_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    events = selectors.events_for(tenant.org, livemode=tenant.livemode).order_by("-received_at", "-pk")
    if form.is_valid():
        if status := form.cleaned_data["status"]:
            events = events.filter(status=status)
        if kind := form.cleaned_data["type"].strip():
            events = events.filter(event_type=kind)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, tenant, "dashboard/gateways/events.html",
                       {"form": form, "page": page, "nav": "events", "open": WebhookEvent.OPEN})


@org_view
def event_detail(request: HttpRequest, tenant: Tenant, event_id: int) -> HttpResponse:
    event = event_or_404(tenant, event_id)
    payload = selectors.parsed_payload(event)
    # Pretty-printed for people; the template escapes it (a payload is attacker-controlled text).
    try:
        pretty = json.dumps(payload, indent=2, ensure_ascii=False) if not isinstance(payload, str) else payload
    except RecursionError:  # nested deeper than the encoder goes: shown as received
        pretty = event.payload
    return render_page(request, tenant, "dashboard/gateways/event_detail.html",
                       {"event": event, "payload": pretty, "nav": "events",
                        "provider": PROVIDER_LABELS.get(event.provider, event.provider),
                        "can_reprocess": event.status in WebhookEvent.OPEN})


@org_view
@require_POST
def event_reprocess(request: HttpRequest, tenant: Tenant, event_id: int) -> HttpResponse:
    event = event_or_404(tenant, event_id)
    try:
        reprocess_event(event)
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Evento en cola para procesarse de nuevo; nunca genera una segunda factura.")
    return redirect("dashboard:event_detail", event_id=event.pk)
