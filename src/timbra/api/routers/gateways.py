"""/gateway-connections, /gateway-events, /gateway-payments: connected payment gateways,
the events they delivered, and the payments (each with its invoice) those events produced.

Naming: `/payments` is money the API caller reports (against PPD invoices, or with
purpose "invoice" a sale to invoice); `/gateway-payments` lists every payment Timbra invoices
by itself, from gateways and from purpose "invoice" / CSV imports alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from timbra.api.auth import Caller, admin_key, api_key, caller
from timbra.api.idempotency import idempotent
from timbra.api.pagination import Page, PageParams, paginate, where
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.gateways import (
    ConnectionIn,
    ConnectionOut,
    ConnectionUpdateIn,
    EventFilters,
    EventOut,
    EventSummary,
    GatewayPaymentDetailOut,
    GatewayPaymentFilters,
    GatewayPaymentOut,
    RefundDismissIn,
    RefundOut,
    SigningSecretIn,
)
from timbra.invoicing.errors import found
from timbra.payments import selectors
from timbra.payments.gateways.base import CustomerData, PaymentLine
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.services import connections
from timbra.payments.services.external_payments import ExternalPaymentInput, record_external_payment
from timbra.payments.services.manage_connection import (
    connect_gateway,
    reprocess_event,
    set_connection_status,
    set_metadata_keys,
)
from timbra.payments.services.refunds_admin import dismiss_refund, retry_refund

router = Router(tags=["Pasarelas de pago"], auth=api_key)


def invoice_sale(who: Caller, payload: Any, *, paid_at: datetime, as_of: datetime) -> tuple[int, GatewayPaymentOut]:
    """POST /payments with purpose "invoice" (a receivables.PaymentIn): record the sale, invoice it."""
    given = payload.customer
    data = ExternalPaymentInput(
        external_id=payload.external_id, amount=payload.monto, currency=payload.moneda, paid_at=paid_at,
        forma_pago=payload.forma_de_pago, method=payload.metodo, exchange_rate=payload.tipo_cambio,
        description=payload.descripcion, customer_id=payload.customer_id,
        customer=CustomerData(**given.dict()) if given is not None else CustomerData(),
        lines=tuple(PaymentLine(**line.dict()) for line in payload.lines or ()),
        metadata=dict(payload.metadata or {}),
    )
    payment, created = record_external_payment(who.org, data, livemode=who.livemode, as_of=as_of)
    return (201 if created else 200), GatewayPaymentOut.from_orm(get_gateway_payment(who, payment.pk))


def get_connection(who: Caller, connection_id: int) -> GatewayConnection:
    return found(selectors.get_connection(who.org, connection_id, livemode=who.livemode), "conexión")


def get_event(who: Caller, event_id: int) -> WebhookEvent:
    return found(selectors.get_event(who.org, event_id, livemode=who.livemode), "evento")


def get_gateway_payment(who: Caller, payment_id: int) -> Payment:
    return found(selectors.get_payment(who.org, payment_id, livemode=who.livemode), "pago")


@router.get("/gateway-connections", response={200: list[ConnectionOut], **ERRORS},
            summary="Listar conexiones con pasarelas")
def list_connections(request: HttpRequest) -> list[GatewayConnection]:
    """Las pasarelas conectadas en el modo de la API key, con su URL de webhook y pistas de sus secretos."""
    who = caller(request)
    return list(selectors.connections_for(who.org, livemode=who.livemode))


@router.post("/gateway-connections", response={200: ConnectionOut, 201: ConnectionOut, **WRITE_ERRORS},
             auth=admin_key, summary="Conectar una pasarela")
@idempotent()
def connect(request: HttpRequest, payload: ConnectionIn) -> tuple[int, ConnectionOut]:
    """Conecta la cuenta de Stripe, Conekta o Mercado Pago del modo de la API key (requiere el permiso
    `keys`). Responde 201 con la `webhook_url` que debes pegar en la pasarela; si ya estaba conectada,
    agrega el secreto (rotación) y responde 200. Los secretos nunca se devuelven, solo sus pistas."""
    who, now = caller(request), timezone.now()
    existed = GatewayConnection.objects.filter(org=who.org, provider=payload.provider,
                                               livemode=who.livemode).exists()
    connection = connect_gateway(who.org, payload.provider, secret=payload.signing_secret,
                                 api_key=payload.api_key, livemode=who.livemode, as_of=now)
    if payload.metadata_keys is not None:
        connection = set_metadata_keys(connection, payload.metadata_keys.dict(), as_of=now,
                                       actor=who.actor, source="api")
    return (200 if existed else 201), ConnectionOut.from_orm(connection)


@router.get("/gateway-connections/{connection_id}", response={200: ConnectionOut, **ERRORS},
            summary="Consultar una conexión")
def retrieve_connection(request: HttpRequest, connection_id: int) -> GatewayConnection:
    return get_connection(caller(request), connection_id)


@router.patch("/gateway-connections/{connection_id}", response={200: ConnectionOut, **WRITE_ERRORS},
              auth=admin_key, summary="Activar, desactivar o configurar una conexión")
def update_connection(request: HttpRequest, connection_id: int, payload: ConnectionUpdateIn) -> GatewayConnection:
    """`status` «disabled» hace que su webhook responda 404 (la pasarela reintenta y nada se pierde al
    reactivarla); `api_key` reemplaza la llave; `metadata_keys` nombra los metadatos con datos fiscales."""
    who, now = caller(request), timezone.now()
    connection = get_connection(who, connection_id)
    if payload.api_key:
        connection = connections.set_api_key(connection, payload.api_key, as_of=now, actor=who.actor,
                                             source="api")
    if payload.metadata_keys is not None:
        connection = set_metadata_keys(connection, payload.metadata_keys.dict(), as_of=now,
                                       actor=who.actor, source="api")
    if payload.status:
        connection = set_connection_status(connection, payload.status, as_of=now, actor=who.actor,
                                           source="api")
    return connection


@router.post("/gateway-connections/{connection_id}/signing-secrets",
             response={200: ConnectionOut, **WRITE_ERRORS}, auth=admin_key, summary="Rotar el secreto de firma")
@idempotent()
def add_secret(request: HttpRequest, connection_id: int, payload: SigningSecretIn) -> ConnectionOut:
    """Agrega un secreto de firma. Mientras Stripe firma con ambos (su «roll secret»), los dos valen;
    quita el anterior con `retire_others` o con DELETE …/signing-secrets/{secret_id}."""
    who, now = caller(request), timezone.now()
    connection = connections.add_signing_secret(get_connection(who, connection_id), payload.signing_secret,
                                                as_of=now, actor=who.actor, source="api")
    if payload.retire_others:
        # Hints are stored in the same order as the secrets: the new secret's hint names it.
        position = connections.signing_secrets(connection).index(payload.signing_secret.strip())
        keep = connection.signing_secret_hints[position]["id"]
        for hint in list(connection.signing_secret_hints):
            if hint["id"] != keep:
                connection = connections.remove_signing_secret(connection, hint["id"], as_of=now,
                                                                actor=who.actor, source="api")
    return ConnectionOut.from_orm(connection)


@router.delete("/gateway-connections/{connection_id}/signing-secrets/{secret_id}",
               response={200: ConnectionOut, **WRITE_ERRORS}, auth=admin_key, summary="Quitar un secreto de firma")
def remove_secret(request: HttpRequest, connection_id: int, secret_id: str) -> GatewayConnection:
    """Deja de aceptar eventos firmados con ese secreto. El único secreto no se puede quitar."""
    who = caller(request)
    connection = get_connection(who, connection_id)
    return connections.remove_signing_secret(connection, secret_id, as_of=timezone.now(), actor=who.actor,
                                             source="api")


@router.get("/gateway-events", response={200: Page[EventSummary], **ERRORS}, summary="Listar eventos recibidos")
def list_events(request: HttpRequest, params: Query[PageParams], filters: Query[EventFilters]) -> dict[str, Any]:
    """Los eventos de las pasarelas, del más reciente al más antiguo, con lo que produjeron o por qué no.
    Filtros: status, type, connection_id."""
    who = caller(request)
    rows = where(selectors.events_for(who.org, livemode=who.livemode), status=filters.status,
                 event_type=filters.type, connection_id=filters.connection_id)
    return paginate(rows, params).as_page()


@router.get("/gateway-events/{event_id}", response={200: EventOut, **ERRORS}, summary="Consultar un evento")
def retrieve_event(request: HttpRequest, event_id: int) -> WebhookEvent:
    """El evento tal como llegó (`payload`), su estado, intentos y lo que produjo (pago, factura)."""
    return get_event(caller(request), event_id)


@router.post("/gateway-events/{event_id}/reprocess", response={202: EventOut, **WRITE_ERRORS},
             summary="Reprocesar un evento")
@idempotent()
def reprocess(request: HttpRequest, event_id: int) -> tuple[int, EventOut]:
    """Encola de nuevo un evento recibido, en espera o con error (422 `event_not_open` si ya se procesó o
    se ignoró). Procesar es idempotente: nunca produce una segunda factura."""
    return 202, EventOut.from_orm(reprocess_event(get_event(caller(request), event_id)))


@router.get("/gateway-payments", response={200: Page[GatewayPaymentOut], **ERRORS},
            summary="Listar pagos de pasarelas")
def list_gateway_payments(request: HttpRequest, params: Query[PageParams],
                          filters: Query[GatewayPaymentFilters]) -> dict[str, Any]:
    """Pagos que Timbra factura por sí mismo (pasarelas, y los reportados con `purpose` «invoice» o por CSV),
    con comisión, neto, forma de pago, estado y su factura. Filtros: status, provider."""
    who = caller(request)
    rows = where(selectors.payments_for(who.org, livemode=who.livemode), status=filters.status,
                 provider=filters.provider)
    return paginate(rows, params).as_page()


@router.get("/gateway-payments/{gateway_payment_id}", response={200: GatewayPaymentDetailOut, **ERRORS},
            summary="Consultar un pago de pasarela")
def retrieve_gateway_payment(request: HttpRequest, gateway_payment_id: int) -> Payment:
    """El pago con su factura, sus reembolsos (cada uno con su nota de crédito o por qué no la tiene) y su
    disputa."""
    return get_gateway_payment(caller(request), gateway_payment_id)


def get_refund(who: Caller, gateway_payment_id: int, refund_id: int) -> Refund:
    payment = get_gateway_payment(who, gateway_payment_id)
    return found(selectors.get_refund(who.org, payment.pk, refund_id, livemode=who.livemode), "reembolso")


@router.post("/gateway-payments/{gateway_payment_id}/refunds/{refund_id}/retry",
             response={200: RefundOut, **WRITE_ERRORS}, summary="Reintentar un reembolso detenido")
@idempotent()
def retry_held_refund(request: HttpRequest, gateway_payment_id: int, refund_id: int) -> RefundOut:
    """Vuelve a intentar la nota de crédito de un reembolso detenido, con los datos de ahora (p. ej. la factura
    original ya se timbró). Puede quedar acreditado, en espera o detenido otra vez con el motivo actual: lo
    reembolsado nunca supera el total de la factura. 409 `refund_not_held` si no está detenido."""
    who = caller(request)
    refund = retry_refund(get_refund(who, gateway_payment_id, refund_id), actor=who.actor, as_of=timezone.now())
    return RefundOut.from_orm(refund)


@router.post("/gateway-payments/{gateway_payment_id}/refunds/{refund_id}/dismiss",
             response={200: RefundOut, **WRITE_ERRORS}, summary="Descartar un reembolso detenido")
@idempotent()
def dismiss_held_refund(request: HttpRequest, gateway_payment_id: int, refund_id: int,
                        payload: RefundDismissIn) -> RefundOut:
    """Marca un reembolso detenido como resuelto a mano (`dismissed`), con tu motivo, que queda en el historial
    de la factura original. Repetirlo no cambia nada; 409 `refund_not_held` si está en otro estado."""
    who = caller(request)
    refund = dismiss_refund(get_refund(who, gateway_payment_id, refund_id), reason=payload.reason,
                            actor=who.actor, as_of=timezone.now())
    return RefundOut.from_orm(refund)
