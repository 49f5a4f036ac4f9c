"""Pasarelas: the org's gateway connections, their webhook URL, secrets (rotation), API key,
metadata keys, and on/off. Secrets are write-only here too: only hints are ever shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from timbra.dashboard.access import Tenant, or_404, org_view, render_page
from timbra.dashboard.gateway_forms import CONNECT_TEXT, ApiKeyForm, ConnectForm, MetadataKeysForm, SecretForm
from timbra.invoicing.errors import InvoicingError
from timbra.payments import selectors
from timbra.payments.models import GatewayConnection, WebhookEvent
from timbra.payments.services import connections
from timbra.payments.services.manage_connection import (
    connect_gateway,
    set_connection_status,
    set_metadata_keys,
)

PROVIDER_LABELS = {"stripe": "Stripe", "conekta": "Conekta", "mercadopago": "Mercado Pago"}


def connection_or_404(tenant: Tenant, connection_id: int) -> GatewayConnection:
    """The org's connection in the current mode; another org's id is a 404."""
    return or_404(selectors.get_connection(tenant.org, connection_id, livemode=tenant.livemode), "No se encontró la conexión.")


def _cards(tenant: Tenant) -> list[dict[str, Any]]:
    cards = []
    for connection in selectors.connections_for(tenant.org, livemode=tenant.livemode):
        last = WebhookEvent.objects.filter(connection=connection).order_by("-received_at").first()
        cards.append({
            "connection": connection,
            "label": PROVIDER_LABELS.get(connection.provider, connection.provider),
            "webhook_url": connections.webhook_url(connection),
            "last_event": last,
            "secret_form": SecretForm(prefix=f"s{connection.pk}"),
            "key_form": ApiKeyForm(prefix=f"k{connection.pk}"),
            "metadata_form": MetadataKeysForm(prefix=f"m{connection.pk}", initial=connection.metadata_keys),
        })
    return cards


def _page(request: HttpRequest, tenant: Tenant, failed: ConnectForm | None = None, status: int = 200) -> HttpResponse:
    """The page, with a connect form for each gateway not connected yet in this mode."""
    connected = set(selectors.connections_for(tenant.org, livemode=tenant.livemode).values_list("provider", flat=True))
    forms_ = [failed if failed is not None and failed.provider == p else ConnectForm(p)
              for p in CONNECT_TEXT if p not in connected]
    return render_page(request, tenant, "dashboard/gateways/list.html",
                       {"cards": _cards(tenant), "connect_forms": forms_, "labels": PROVIDER_LABELS,
                        "nav": "gateways"}, status=status)


@org_view
def connection_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _page(request, tenant)


@org_view
@require_POST
def connect(request: HttpRequest, tenant: Tenant, provider: str) -> HttpResponse:
    if provider not in CONNECT_TEXT:
        raise Http404("Pasarela desconocida.")
    form = ConnectForm(provider, request.POST)
    if form.is_valid():
        try:
            connect_gateway(tenant.org, provider, secret=form.cleaned_data["secret"],
                            api_key=form.cleaned_data["api_key"] or None, livemode=tenant.livemode,
                            as_of=timezone.now())
        except InvoicingError as exc:
            form.add_error("api_key" if exc.field in ("api_key", "access_token") else "secret", exc.message)
        else:
            label = PROVIDER_LABELS[provider]
            messages.success(request, f"{label} conectado. Pega la URL del webhook en {label} para empezar a facturar.")
            return redirect("dashboard:gateways")
    return _page(request, tenant, form, status=422)


def _act(request: HttpRequest, tenant: Tenant, connection_id: int, form_class: type[forms.Form] | None,
         prefix: str, action: Callable[[GatewayConnection, dict[str, Any]], Any], done: str) -> HttpResponse:
    """Run one change on a connection from its card's form; errors come back as a message."""
    connection = connection_or_404(tenant, connection_id)
    form = form_class(request.POST, prefix=f"{prefix}{connection.pk}") if form_class else None
    if form is not None and not form.is_valid():
        messages.error(request, "Revisa el formulario: " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("dashboard:gateways")
    try:
        action(connection, form.cleaned_data if form is not None else {})
    except InvoicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("dashboard:gateways")


@org_view
@require_POST
def add_secret(request: HttpRequest, tenant: Tenant, connection_id: int) -> HttpResponse:
    return _act(request, tenant, connection_id, SecretForm, "s",
                lambda c, d: connections.add_signing_secret(c, d["signing_secret"], as_of=timezone.now(),
                                  actor=tenant.actor, source="dashboard"),
                "Secreto agregado. Ambos valen hasta que quites el anterior.")


@org_view
@require_POST
def remove_secret(request: HttpRequest, tenant: Tenant, connection_id: int, secret_id: str) -> HttpResponse:
    return _act(request, tenant, connection_id, None, "",
                lambda c, d: connections.remove_signing_secret(c, secret_id, as_of=timezone.now(),
                                  actor=tenant.actor, source="dashboard"),
                "Secreto quitado: los eventos firmados con él se rechazarán.")


@org_view
@require_POST
def set_api_key(request: HttpRequest, tenant: Tenant, connection_id: int) -> HttpResponse:
    return _act(request, tenant, connection_id, ApiKeyForm, "k",
                lambda c, d: connections.set_api_key(c, d["api_key"], as_of=timezone.now(),
                                  actor=tenant.actor, source="dashboard"),
                "Llave de API guardada (cifrada). Se reprocesan los eventos que la esperaban.")


@org_view
@require_POST
def set_metadata(request: HttpRequest, tenant: Tenant, connection_id: int) -> HttpResponse:
    return _act(request, tenant, connection_id, MetadataKeysForm, "m",
                lambda c, d: set_metadata_keys(c, d, as_of=timezone.now(),
                                  actor=tenant.actor, source="dashboard"),
                "Metadatos guardados; se usan en los eventos que lleguen desde ahora.")


@org_view
@require_POST
def toggle(request: HttpRequest, tenant: Tenant, connection_id: int) -> HttpResponse:
    enable = request.POST.get("status") == GatewayConnection.ACTIVE
    status = GatewayConnection.ACTIVE if enable else GatewayConnection.DISABLED
    done = ("Conexión activada." if enable else
            "Conexión desactivada: su webhook responde 404 y la pasarela reintentará la entrega.")
    return _act(request, tenant, connection_id, None, "",
                lambda c, d: set_connection_status(c, status, as_of=timezone.now(),
                                  actor=tenant.actor, source="dashboard"), done)
