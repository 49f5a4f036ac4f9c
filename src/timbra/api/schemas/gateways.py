"""Gateway connections, their inbox events and the payments they produced (issue 3).

Secrets are write-only: a response shows only hints ("whsec_…a1b2", "rk_test_…9f3c")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, field_validator

from timbra.api.schemas.common import InputSchema, decimal_text, money
from timbra.api.schemas.invoices import CustomerRef
from timbra.payments import selectors
from timbra.payments.models import Payment, Refund
from timbra.payments.services.connections import webhook_url

PAYMENT_STATUSES = tuple(code for code, _ in Payment.STATUSES)
REFUND_STATUSES = tuple(code for code, _ in Refund.STATUSES)


class MetadataKeysIn(InputSchema):
    rfc: str = Field("", max_length=60, description="Metadato con el RFC (por omisión «rfc»).")
    nombre: str = Field("", max_length=60, description="Metadato con la razón social («razon_social»).")
    regimen_fiscal: str = Field("", max_length=60, description="Metadato con el régimen («regimen_fiscal»).")
    uso_cfdi: str = Field("", max_length=60, description="Metadato con el uso del CFDI («uso_cfdi»).")
    codigo_postal: str = Field("", max_length=60, description="Metadato con el CP («codigo_postal»).")


class ConnectionIn(InputSchema):
    provider: Literal["stripe", "conekta", "mercadopago"] = "stripe"
    signing_secret: str = Field(max_length=4000, description="Stripe: secreto de firma del webhook (`whsec_…`). "
                                "Mercado Pago: la «Clave secreta» de Webhooks. Conekta: la llave pública (PEM) "
                                "de su webhook key.")
    api_key: str | None = Field(None, max_length=400, description="Opcional. Stripe: llave restringida (`rk_…`) "
                                "para consultar cargos, comisiones y clientes. Conekta: llave privada (`key_…`). "
                                "Mercado Pago: access token (sin él, sus avisos esperan: solo traen el id).")
    metadata_keys: MetadataKeysIn | None = None


class SigningSecretIn(InputSchema):
    signing_secret: str = Field(max_length=4000, description="El nuevo secreto (`whsec_…`, clave o llave PEM).")
    retire_others: bool = Field(False, description="Deja de aceptar los secretos anteriores. Por omisión se "
                                "conservan, para que la rotación no rechace eventos firmados con el viejo.")


class ConnectionUpdateIn(InputSchema):
    status: Literal["active", "disabled"] | None = None
    api_key: str | None = Field(None, max_length=400, description="Reemplaza la llave de API (o el access token).")
    metadata_keys: MetadataKeysIn | None = None


class SecretHint(Schema):
    id: str = Field(description="Para quitarlo: DELETE …/signing-secrets/{secret_id}.")
    hint: str
    added_at: datetime


class ConnectionOut(Schema):
    id: int
    provider: str
    livemode: bool
    status: str
    webhook_url: str = Field(description="Pégala en la configuración de webhooks de la pasarela.")
    signing_secrets: list[SecretHint] = Field(description="Solo pistas; los secretos nunca se devuelven.")
    api_key_hint: str
    metadata_keys: dict[str, str]
    last_event_at: datetime | None
    rejected_signatures: int = Field(description="Entregas rechazadas por firma inválida o vencida.")
    last_rejected_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_webhook_url(obj: Any) -> str:
        return webhook_url(obj)

    @staticmethod
    def resolve_signing_secrets(obj: Any) -> list[dict[str, str]]:
        return list(obj.signing_secret_hints)


class InvoiceRef(Schema):
    id: int
    serie_folio: str
    status: str
    uuid: str | None

    @staticmethod
    def resolve_uuid(obj: Any) -> str | None:
        return str(obj.uuid) if obj.uuid else None


class EventSummary(Schema):
    id: int
    connection_id: int
    provider: str
    event_id: str = Field(description="El id del evento en la pasarela (`evt_…`).")
    event_type: str
    livemode: bool
    status: str = Field(description="received, processed, ignored, waiting, failed o rejected (firmado pero "
                        "ilegible: no se procesa).")
    status_label: str
    reason: str = Field(description="Qué produjo o por qué no (en español).")
    attempts: int
    received_at: datetime
    processed_at: datetime | None
    payment_id: int | None
    invoice: InvoiceRef | None

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class EventOut(EventSummary):
    payload: Any = Field(description="El evento tal como llegó (JSON).")

    @staticmethod
    def resolve_payload(obj: Any) -> Any:
        return selectors.parsed_payload(obj)


class EventFilters(Schema):
    status: Literal["received", "processed", "ignored", "waiting", "failed", "rejected"] | None = None
    type: str | None = Field(None, max_length=100, description="Tipo de evento, p. ej. «invoice.paid».")
    connection_id: int | None = None


class _MoneyMovedOut(Schema):
    """What a gateway payment and a refund share: amounts as decimal strings, and the status in
    Spanish."""

    status_label: str
    amount: str
    fee: str | None
    net: str | None

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_amount(obj: Any) -> str | None:
        return money(obj.amount)

    @staticmethod
    def resolve_fee(obj: Any) -> str | None:
        return money(obj.fee)

    @staticmethod
    def resolve_net(obj: Any) -> str | None:
        return money(obj.net)


class GatewayPaymentOut(_MoneyMovedOut):
    id: int
    provider: str = Field(description="«stripe», …, o «external» (reportado por API o CSV).")
    key: str = Field(description="Id del dinero en la pasarela: la clave única de su factura.")
    external_id: str = Field(description="Tu external_id, en pagos reportados por API o CSV.")
    livemode: bool
    status: str = Field(description="Uno de: " + ", ".join(PAYMENT_STATUSES) + ".")
    status_label: str
    status_reason: str
    amount: str
    currency: str
    exchange_rate: str | None
    fee: str | None = Field(description="Comisión de la pasarela, en settlement_currency.")
    net: str | None
    settlement_currency: str
    refunded: str = Field(description="Suma reembolsada con notas de crédito, en `currency`.")
    forma_pago: str = Field(description="c_FormaPago, del método de pago.")
    payment_method: str
    description: str
    charge_id: str
    payment_intent_id: str
    gateway_invoice_id: str
    gateway_customer_id: str
    customer: CustomerRef | None
    invoice: InvoiceRef | None
    paid_at: datetime
    created_at: datetime

    @staticmethod
    def resolve_external_id(obj: Any) -> str:
        return selectors.external_id(obj)

    @staticmethod
    def resolve_exchange_rate(obj: Any) -> str | None:
        return decimal_text(obj.exchange_rate)

    @staticmethod
    def resolve_refunded(obj: Any) -> str | None:
        return money(obj.refunded)


class RefundOut(_MoneyMovedOut):
    id: int = Field(description="Id en Timbra: {refund_id} en …/refunds/{refund_id}/retry y /dismiss.")
    gateway_id: str = Field(description="Id del reembolso (o de la disputa perdida) en la pasarela (`re_…`, `dp_…`).")
    kind: str = Field(description="«refund» o «dispute_lost» (contracargo perdido).")
    kind_label: str
    amount: str
    currency: str
    gateway_status: str = Field(description="Lo que dice la pasarela: succeeded, pending, failed, canceled…")
    gateway_reason: str = Field(description="Código de motivo de la pasarela (p. ej. «requested_by_customer»).")
    status: str = Field(description="Uno de: " + ", ".join(REFUND_STATUSES) + ". «held» requiere a una persona.")
    status_label: str
    status_reason: str = Field(description="Por qué está así (en español).")
    fee: str | None = Field(description="Comisión de la pasarela por el reembolso, en settlement_currency.")
    net: str | None
    settlement_currency: str
    credit_note: InvoiceRef | None = Field(description="La nota de crédito (CFDI de Egreso), si se emitió.")
    refunded_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_gateway_id(obj: Any) -> str:
        return str(obj.refund_id)

    @staticmethod
    def resolve_gateway_reason(obj: Any) -> str:
        return str(obj.reason)


class DisputeOut(Schema):
    id: str
    status: str = Field(description="Lo que dice la pasarela (needs_response, won, lost…).")
    outcome: str = Field(description="«open», «won» o «lost».")
    amount: str | None
    reason: str
    fee: str | None
    updated_at: datetime | None


class GatewayPaymentDetailOut(GatewayPaymentOut):
    invoice_total: str | None = Field(description="Total de su factura: lo reembolsado nunca lo supera.")
    refunds: list[RefundOut] = Field(description="Reembolsos y contracargos perdidos, del más antiguo al más reciente.")
    dispute: DisputeOut | None = Field(description="La disputa más reciente sobre este pago, si la hay.")

    @staticmethod
    def resolve_invoice_total(obj: Any) -> str | None:
        return money(obj.invoice.total) if obj.invoice_id else None

    @staticmethod
    def resolve_refunds(obj: Any) -> list[Any]:
        return list(selectors.refunds_of(obj))

    @staticmethod
    def resolve_dispute(obj: Any) -> dict[str, Any] | None:
        if not obj.dispute_id:
            return None
        return {"id": obj.dispute_id, "status": obj.dispute_status, "outcome": obj.dispute_outcome,
                "amount": money(obj.dispute_amount), "reason": obj.dispute_reason, "fee": money(obj.dispute_fee),
                "updated_at": obj.dispute_updated_at}


class RefundDismissIn(InputSchema):
    reason: str = Field(max_length=500, description="Por qué se descarta (p. ej. «nota de crédito emitida a "
                        "mano»). Queda en el historial de la factura original.")


class GatewayPaymentFilters(Schema):
    status: str | None = Field(None, max_length=25, description="Uno de: " + ", ".join(PAYMENT_STATUSES) + ".")
    provider: str | None = Field(None, max_length=20)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        if value is not None and value not in PAYMENT_STATUSES:
            raise ValueError("estado desconocido; usa uno de: " + ", ".join(PAYMENT_STATUSES))
        return value


class SaleCustomerIn(InputSchema):
    """Who paid, when there is no `customer_id`: matched by RFC, then email; created when complete."""

    rfc: str = Field("", max_length=13)
    nombre: str = Field("", max_length=300, description="Nombre o razón social, como en su constancia.")
    email: str = Field("", max_length=254)
    codigo_postal: str = Field("", max_length=5)
    regimen_fiscal: str = Field("", max_length=3)
    uso_cfdi: str = Field("", max_length=4)


class SaleLineIn(InputSchema):
    descripcion: str = Field(min_length=1, max_length=1000)
    cantidad: Decimal = Field(Decimal(1), gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False)
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2, allow_inf_nan=False,
                            description="Lo cobrado por la partida, impuestos incluidos.")
    product_id: str = Field("", max_length=100, description="Tu id de producto (para las reglas de facturación).")
    price_id: str = Field("", max_length=100, description="Tu id de precio (NoIdentificacion).")
