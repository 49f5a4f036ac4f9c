"""Payments received against PPD invoices, and the Complemento de Pago (REP) of each one."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, model_validator

from timbra.api.schemas.common import InputSchema, decimal_text
from timbra.api.schemas.gateways import SaleCustomerIn, SaleLineIn
from timbra.api.schemas.invoices import CustomerRef, Hold, TipoCambio
from timbra.domain.status import InvoiceStatus
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.selectors import in_currency

# Up to 4 decimals: c_Moneda's most (CLF); each currency's own limit is checked by the service.
Amount = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4, allow_inf_nan=False)]
Equivalencia = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=10, allow_inf_nan=False)]

STATUS_LABELS = {ReceivedPayment.RECORDED: "Registrado", ReceivedPayment.CANCELLED: "Anulado"}


class ApplicationIn(InputSchema):
    invoice_id: int
    amount: Amount = Field(description="ImpPagado, en la moneda de la factura.")
    equivalencia_dr: Equivalencia | None = Field(
        None, description="Cuántas unidades de la moneda de la factura vale 1 de la moneda del pago; solo si "
        "difieren (una factura en MXN pagada en otra moneda usa el tipo de cambio del pago).")


class PaymentIn(InputSchema):
    purpose: Literal["apply", "invoice"] = Field(
        "apply", description="«apply» (por omisión): aplica el pago a facturas PPD y emite su complemento. "
        "«invoice»: una venta pagada en una sola exhibición que se factura como PUE, igual que un cargo de "
        "una pasarela (requiere external_id; cliente por customer_id o customer; descripcion o lines). "
        "Su respuesta es el pago de GET /gateway-payments/{id}.")
    customer_id: int | None = Field(None, description="Obligatorio con «apply».")
    customer: SaleCustomerIn | None = Field(None, description="Solo «invoice», sin customer_id: datos fiscales "
                                            "o correo para encontrar o crear al cliente.")
    fecha_pago: date | datetime = Field(
        description="Cuándo se recibió. Una fecha sola se registra a las 12:00 (guía de llenado del SAT); "
        "una hora sin zona se lee en la zona horaria de la organización.")
    forma_de_pago: str = Field("", max_length=2, description="c_FormaPago de cómo se pagó (no 99). Con "
                               "«invoice» puede venir `metodo` en su lugar.")
    metodo: str = Field("", max_length=40, description="Solo «invoice»: método de pago (tarjeta_credito, "
                        "tarjeta_debito, transferencia, spei, efectivo, oxxo…) si no das forma_de_pago.")
    descripcion: str = Field("", max_length=1000, description="Solo «invoice»: concepto, si no hay lines.")
    lines: list[SaleLineIn] | None = Field(None, min_length=1, max_length=100,
                                           description="Solo «invoice»: partidas; deben sumar el monto.")
    metadata: dict[str, str] | None = Field(None, description="Solo «invoice»: metadatos; los que nombra la "
                                            "configuración de metadatos completan los datos fiscales.")
    monto: Amount = Field(description="En la moneda del pago; debe ser exactamente lo aplicado.")
    moneda: str = Field("MXN", max_length=3)
    tipo_cambio: TipoCambio | None = Field(None, description="Pesos por unidad; obligatorio si no es MXN.")
    applications: list[ApplicationIn] | None = Field(
        None, min_length=1, max_length=100,
        description="Facturas PPD que paga y cuánto de cada una. Sin esto se aplican a las facturas PPD "
        "pendientes más antiguas del cliente.")
    reference: str = Field("", max_length=100, description="Número de operación (NumOperacion).")
    external_id: str | None = Field(
        None, min_length=1, max_length=200,
        description="Tu identificador del pago: el mismo external_id nunca registra dos pagos (ni dos "
        "facturas con «invoice», tampoco si ya llegó por `timbra import payments`).")

    @model_validator(mode="after")
    def _fields_of_purpose(self) -> PaymentIn:
        if self.purpose == "apply":
            extra = [n for n in ("customer", "lines", "metadata") if getattr(self, n) is not None]
            extra += [n for n in ("metodo", "descripcion") if getattr(self, n)]
            if extra:
                raise ValueError(f"«{extra[0]}» solo aplica con purpose «invoice»")
            if self.customer_id is None or not self.forma_de_pago:
                raise ValueError("con purpose «apply» se requieren customer_id y forma_de_pago")
        elif self.applications is not None or not self.external_id or len(self.external_id) > 190:
            raise ValueError("con purpose «invoice» se requiere external_id (hasta 190 caracteres) y no se "
                             "admiten applications")
        return self


class ApplicationOut(Schema):
    invoice_id: int
    invoice_uuid: str | None
    invoice_serie_folio: str
    moneda: str = Field(description="MonedaDR: la de la factura.")
    num_parcialidad: int
    imp_saldo_ant: str
    imp_pagado: str
    imp_saldo_insoluto: str
    equivalencia_dr: str | None
    counts: bool = Field(description="Falso si el pago se anuló o su complemento se canceló.")

    @staticmethod
    def resolve_invoice_uuid(obj: Any) -> str | None:
        return str(obj.invoice.uuid) if obj.invoice.uuid else None

    @staticmethod
    def resolve_invoice_serie_folio(obj: Any) -> str:
        return str(obj.invoice.serie_folio)

    @staticmethod
    def resolve_moneda(obj: Any) -> str:
        return str(obj.invoice.moneda)

    @staticmethod
    def resolve_imp_saldo_ant(obj: Any) -> str:
        return f"{in_currency(obj.imp_saldo_ant, obj.invoice.moneda):f}"

    @staticmethod
    def resolve_imp_pagado(obj: Any) -> str:
        return f"{in_currency(obj.imp_pagado, obj.invoice.moneda):f}"

    @staticmethod
    def resolve_imp_saldo_insoluto(obj: Any) -> str:
        return f"{in_currency(obj.imp_saldo_insoluto, obj.invoice.moneda):f}"

    @staticmethod
    def resolve_equivalencia_dr(obj: Any) -> str | None:
        return decimal_text(obj.equivalencia_dr)

    @staticmethod
    def resolve_counts(obj: Any) -> bool:
        rep = obj.payment.rep_invoice
        cancelled = obj.payment.status == ReceivedPayment.CANCELLED or (
            rep is not None and rep.status == InvoiceStatus.CANCELLED
        )
        return bool(obj.active and not cancelled)


class RepOut(Schema):
    """The CFDI de pago (type P) that reports the payment; see GET /invoices/{invoice_id} for its files."""

    invoice_id: int
    status: InvoiceStatus
    status_label: str
    serie_folio: str
    uuid: str | None
    hold: Hold | None = Field(description="Por qué está detenido y qué corregir.")
    stamped_at: datetime | None

    @staticmethod
    def resolve_invoice_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_hold(obj: Any) -> dict[str, str] | None:
        if obj.status != InvoiceStatus.HELD:
            return None
        return {"code": obj.hold_code, "message": obj.hold_message}


class PaymentSummary(Schema):
    id: int
    livemode: bool
    status: str = Field(description="recorded o cancelled (anulado antes de timbrar su complemento).")
    status_label: str
    customer: CustomerRef
    fecha_pago: datetime
    forma_de_pago: str
    moneda: str
    tipo_cambio: str | None
    monto: str
    reference: str
    source: str
    source_id: str
    rep: RepOut | None = Field(description="El complemento de pago (REP) y su estado.")
    rep_deadline: date = Field(description="Último día para timbrar el complemento (día límite del mes "
                               "siguiente al pago, configurable; 5 por omisión).")
    created_at: datetime

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return STATUS_LABELS.get(obj.status, obj.status)

    @staticmethod
    def resolve_forma_de_pago(obj: Any) -> str:
        return str(obj.forma_de_pago_p)

    @staticmethod
    def resolve_moneda(obj: Any) -> str:
        return str(obj.moneda_p)

    @staticmethod
    def resolve_tipo_cambio(obj: Any) -> str | None:
        return decimal_text(obj.tipo_cambio_p)

    @staticmethod
    def resolve_monto(obj: Any) -> str:
        return f"{in_currency(obj.monto, obj.moneda_p):f}"

    @staticmethod
    def resolve_reference(obj: Any) -> str:
        return str(obj.num_operacion)

    @staticmethod
    def resolve_rep(obj: Any) -> Any:
        return obj.rep_invoice


class PaymentOut(PaymentSummary):
    applications: list[ApplicationOut]

    @staticmethod
    def resolve_applications(obj: Any) -> list[Any]:
        return list(obj.applications.all())


class DueRepOut(Schema):
    id: int = Field(description="El pago.")
    customer: CustomerRef
    fecha_pago: datetime
    moneda: str
    monto: str
    rep: RepOut
    deadline: date
    days_left: int = Field(description="Días hasta la fecha límite; negativo si ya venció.")
    overdue: bool

    @staticmethod
    def resolve_id(obj: Any) -> int:
        return int(obj.payment.pk)

    @staticmethod
    def resolve_customer(obj: Any) -> Any:
        return obj.payment.customer

    @staticmethod
    def resolve_fecha_pago(obj: Any) -> datetime:
        return obj.payment.fecha_pago  # type: ignore[no-any-return]

    @staticmethod
    def resolve_moneda(obj: Any) -> str:
        return str(obj.payment.moneda_p)

    @staticmethod
    def resolve_monto(obj: Any) -> str:
        return f"{in_currency(obj.payment.monto, obj.payment.moneda_p):f}"

    @staticmethod
    def resolve_rep(obj: Any) -> Any:
        return obj.payment.rep_invoice


class DueRepsOut(Schema):
    deadline_day: int = Field(description="Día del mes siguiente al pago en que vence el complemento.")
    data: list[DueRepOut] = Field(description="Pagos cuyo complemento aún no se timbra, el más urgente primero.")
