"""Ajustes → Actividad: the org's audit trail, filterable by person and kind of object."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from timbra.dashboard.access import Tenant, org_view, render_page
from timbra.orgs.models import Org, OrgEvent

OBJECT_LABELS = {"customer": "Clientes", "rule": "Reglas", "plan": "Planes", "gateway": "Pasarelas", "api_key": "Claves de API", "csd": "CSD",
                 "": "Empresa y equipo"}
SOURCE_LABELS = {"dashboard": "Panel", "api": "API", "job": "Proceso automático", "cli": "Línea de comandos",
                 "portal": "Portal del cliente", "": ""}


def history_of(org: Org, object_type: str, object_id: object) -> QuerySet[OrgEvent]:
    """One object's audit rows, newest first (the history tab of its page)."""
    return label(OrgEvent.objects.filter(org=org, object_type=object_type, object_id=str(object_id))
                 .order_by("-at", "-pk"))


def label(events: QuerySet[OrgEvent]) -> QuerySet[OrgEvent]:
    for event in events:
        event.source_label = SOURCE_LABELS.get(event.source, event.source)  # type: ignore[attr-defined]
    return events


@org_view
def audit_log(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    events = OrgEvent.objects.filter(org=tenant.org).order_by("-at", "-pk")
    actors = sorted({a for a in OrgEvent.objects.filter(org=tenant.org).values_list("actor", flat=True) if a})
    actor, kind = request.GET.get("persona", ""), request.GET.get("objeto", "")
    if actor:
        events = events.filter(actor=actor)
    if kind in OBJECT_LABELS:
        events = events.filter(object_type=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.source_label = SOURCE_LABELS.get(event.source, event.source)  # type: ignore[attr-defined]
    return render_page(request, tenant, "dashboard/settings/audit.html",
                       {"page": page, "history": page.object_list, "actors": actors, "actor": actor,
                        "kind": kind, "kinds": OBJECT_LABELS, "nav": "settings", "tab": "audit"})
