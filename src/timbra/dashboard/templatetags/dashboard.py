"""Presentation helpers for the dashboard templates: money, status badges, timeline labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from timbra.dashboard.views.assets import stylesheet
from timbra.domain import catalogs, tax_presets
from timbra.domain.status import LABELS, InvoiceStatus

register = template.Library()

# Timeline titles for the event kinds the services record (invoicing.*, delivery.services).
EVENT_LABELS = {
    "created": "Factura creada",
    "sealed": "Sellada",
    "reseal": "Sellada de nuevo",
    "stamped": "Timbrada",
    "stamp_retry": "Reintento de timbrado",
    "held": "Detenida",
    "retry": "Reintento solicitado",
    "discarded": "Descartada",
    "delivered": "Entregada",
    "email_sent": "Correo enviado",
    "email_failed": "Correo no entregado",
    "email_retry": "Reintento de correo",
    # payments lifecycle (payments.services.credit_notes, lifecycle)
    "credit_note": "Nota de crédito emitida",
    "refund_held": "Reembolso detenido",
    "refund_retry": "Reembolso reintentado",
    "refund_dismissed": "Reembolso resuelto a mano",
    "cancellation_requested": "Cancelación solicitada",
    # cancellation at the SAT and corrections (issue 11)
    "cancellation_filed": "Solicitud recibida por el PAC",
    "cancellation_retry": "Reintento de cancelación",
    "cancelled": "Cancelada ante el SAT",
    "cancellation_rejected": "Cancelación rechazada por el receptor",
    "cancellation_refused": "Cancelación no aceptada",
    "cancellation_blocked": "Cancelación bloqueada",
    "cancellation_email_sent": "Aviso de cancelación enviado",
    "cancelled_outside": "Cancelada fuera de Timbra",
    "substitute_created": "Sustituta emitida",
    "edited": "Corregida",
    "voided_at_gateway": "Anulada en la pasarela",
    "dispute_open": "Disputa abierta",
    "dispute_won": "Disputa ganada",
    "dispute_lost": "Disputa perdida",
    # factura global and autofactura (globalinvoice/)
    "global_invoice": "Factura global: tickets incluidos",
    "global_late": "Factura global fuera del plazo de 24 horas",
    "receipt_taken_out": "Ticket retirado de la factura global",
    "autofactura": "Pedida por el cliente (autofactura)",
}
ACTOR_LABELS = {"sistema": "Sistema", "api": "API", "": "Sistema"}


@register.filter
def money(value: Decimal | None, moneda: str = "MXN") -> str:
    """`$1,158.84 MXN`: two decimals, comma thousands, currency code after the amount."""
    if value is None:
        return ""
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f} {moneda}"


@register.filter
def unit_price(value: Decimal | None) -> str:
    """A unit price keeps up to six decimals (ValorUnitario) but never fewer than two."""
    if value is None:
        return ""
    amount = Decimal(value).normalize()
    exponent = amount.as_tuple().exponent
    places = min(6, max(2, -exponent)) if isinstance(exponent, int) else 2
    return f"${amount:,.{places}f}"


@register.filter
def quantity(value: Decimal | None) -> str:
    """A quantity without trailing zeros: 1, 2.5, 0.125."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


@register.filter
def status_badge(status: str) -> SafeString:
    """A coloured badge with the Spanish label of an invoice status."""
    try:
        label = LABELS[InvoiceStatus(status)]
    except ValueError:
        label = status
    return format_html('<span class="badge badge-{}">{}</span>', status, label)


@register.filter
def status_label(status: str) -> str:
    try:
        return LABELS[InvoiceStatus(status)]
    except ValueError:
        return status


@register.filter
def event_label(event: object) -> str:
    """Title of a timeline entry: its kind, else the status it moved to."""
    kind = getattr(event, "kind", "")
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    to_status = getattr(event, "to_status", "")
    return status_label(to_status) if to_status else "Evento"


@register.filter
def actor_label(actor: str) -> str:
    return ACTOR_LABELS.get(actor, actor)


@register.filter
def tax_labels(codes: list[str] | None) -> str:
    """Tax preset codes as their Spanish labels: "IVA 16 %, Retención ISR 10 %"."""
    return ", ".join(tax_presets.LABELS.get(code, code) for code in codes or []) or "Sin impuestos"


@register.filter
def sat(code: str | None, catalog: str) -> str:
    """A SAT code with its description: "601 – General de Ley Personas Morales"."""
    if not code:
        return ""
    try:
        text = catalogs.describe(catalog, code)
    except KeyError:
        text = None
    return f"{code} – {text}" if text else code


@register.simple_tag
def stylesheet_url() -> str:
    """The stylesheet's URL with its content hash, so browsers cache it until it changes."""
    return f"{reverse('dashboard:app_css')}?v={stylesheet()[1]}"


@register.simple_tag
def live_state(tenant: Any) -> dict[str, Any]:
    """Whether the org's live invoices are really stamped (switched to live, with a real PAC):
    the live banner tells the truth from this, never from the mode switch alone."""
    from timbra.invoicing.pacs import org_live_pac

    org = tenant.org
    if org.live_enabled_at is None:
        return {"ready": False}
    pac = org_live_pac(org)
    return {"ready": pac is not None, "pac": pac.name if pac else ""}


@register.filter
def may(tenant: Any, url_name: str) -> bool:
    """Whether the tenant's role may open the page `url_name` (hides links it would be refused)."""
    from timbra.dashboard.permissions import allowed

    return allowed(getattr(tenant, "role", ""), url_name, "GET")


@register.simple_tag(takes_context=True)
def other_orgs(context: Any) -> list[Any]:
    """The other orgs (issuers) the logged-in user belongs to, for the org switcher."""
    from timbra.orgs.models import Membership

    request, tenant = context.get("request"), context.get("tenant")
    if request is None or tenant is None:
        return []
    return [m.org for m in Membership.objects.filter(user=request.user).exclude(org=tenant.org)
            .select_related("org").order_by("org__nombre")]
