"""What staff change on a connection besides its secrets: on/off, metadata keys; and
re-processing one inbox event by hand (the events page's "Reprocesar")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from timbra import jobs
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import Org
from timbra.payments.gateways.base import MetadataKeys
from timbra.payments.models import GatewayConnection, WebhookEvent
from timbra.payments.services import connections

METADATA_FIELDS = tuple(MetadataKeys.__dataclass_fields__)


def connect_gateway(
    org: Org, provider: str, *, secret: str, api_key: str | None, livemode: bool, as_of: datetime
) -> GatewayConnection:
    """Connect any supported gateway with its one webhook secret (Stripe's whsec_…, Mercado
    Pago's clave secreta, Conekta's webhook public key) and optional API key or token."""
    if provider == connections.CONEKTA:
        return connections.connect_conekta(org, public_keys=[secret], api_key=api_key, livemode=livemode,
                                           as_of=as_of)
    if provider == connections.MERCADOPAGO:
        return connections.connect_mercadopago(org, webhook_secret=secret, access_token=api_key,
                                               livemode=livemode, as_of=as_of)
    if provider == connections.STRIPE:
        return connections.connect_stripe(org, signing_secret=secret, api_key=api_key, livemode=livemode,
                                          as_of=as_of)
    raise InvoicingError("provider_invalid", f"Pasarela desconocida: «{provider}».", field="provider")


def set_connection_status(connection: GatewayConnection, status: str, *, as_of: datetime,
                          actor: str = "sistema", source: str = "job") -> GatewayConnection:
    """Enable or disable a connection. Disabled: its webhook URL answers 404, so the gateway
    keeps retrying (Stripe for up to 3 days) and nothing is lost if it is enabled again."""
    if status not in (GatewayConnection.ACTIVE, GatewayConnection.DISABLED):
        raise InvoicingError("status_invalid", "El estado debe ser «active» o «disabled».", field="status")
    with connections.audited(connection, "gateway_status_changed", "Conexión activada" if status ==
                             GatewayConnection.ACTIVE else "Conexión desactivada", actor=actor, source=source,
                             as_of=as_of):
        GatewayConnection.objects.filter(pk=connection.pk).update(status=status, updated_at=as_of)
        connection.refresh_from_db()
    return connection


def set_metadata_keys(
    connection: GatewayConnection, keys: Mapping[str, str], *, as_of: datetime, actor: str = "sistema",
    source: str = "job",
) -> GatewayConnection:
    """Name the gateway metadata keys that carry RFC, razón social, régimen, uso de CFDI and CP.
    Blank means the default name. Applies to events processed from now on."""
    unknown = sorted(set(keys) - set(METADATA_FIELDS))
    if unknown:
        raise InvoicingError("metadata_key_unknown", f"Campo desconocido: {unknown[0]}. Se admiten: "
                             f"{', '.join(METADATA_FIELDS)}.", field="metadata_keys")
    cleaned = {name: str(value).strip()[:60] for name, value in keys.items() if str(value or "").strip()}
    with connections.audited(connection, "gateway_metadata_changed", "Metadatos de la pasarela cambiados",
                             actor=actor, source=source, as_of=as_of):
        GatewayConnection.objects.filter(pk=connection.pk).update(metadata_keys=cleaned, updated_at=as_of)
        connection.refresh_from_db()
    return connection


def reprocess_event(event: WebhookEvent) -> WebhookEvent:
    """Queue an open event (received, waiting or failed) to be processed again. Processing is
    idempotent, so pressing twice, or racing the automatic retry, still makes one invoice."""
    if event.status not in WebhookEvent.OPEN:
        raise InvoicingError(
            "event_not_open",
            f"El evento ya está «{event.get_status_display()}»; solo se reprocesan eventos recibidos, en "
            "espera o con error.",
        )
    jobs.enqueue_on_commit("payments.process_event", event_id=event.pk)
    return event
