"""Invoices: what a caller sends to invoice, and what an invoice looks like."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import (
    InputSchema,
    LineAmountsOut,
    Money,
    Quantity,
    TotalsOut,
    UnitPrice,
    decimal_text,
    money,
)
from timbra.api.schemas.corrections import CancellationOut, SatSnapshotOut, cancellation_of, sat_status_of
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.receivables import selectors as receivables

TipoCambio = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]


class LineIn(InputSchema):
    """A line: `product_id` (its keys, price and taxes are the defaults) and/or explicit fields."""

    product_id: int | None = None
    descripcion: str | None = Field(None, max_length=1000)
    cantidad: Quantity = Decimal(1)
    unit_price: UnitPrice | None = Field(None, description="Texto decimal («999.00»); hasta 6 decimales.")
    price_includes_taxes: bool | None = None
    clave_prod_serv: str | None = Field(None, max_length=8)
    clave_unidad: str | None = Field(None, max_length=3)
    unidad: str | None = Field(None, max_length=20)
    objeto_imp: str | None = Field(None, max_length=2)
    taxes: list[str] | None = Field(None, max_length=4)
    descuento: Money = Decimal(0)
    no_identificacion: str | None = Field(None, max_length=100)

    def to_input(self) -> LineInput:
        return LineInput(
            product_id=self.product_id, descripcion=self.descripcion, cantidad=self.cantidad,
            unit_price=self.unit_price, price_includes_taxes=self.price_includes_taxes,
            clave_prod_serv=self.clave_prod_serv, clave_unidad=self.clave_unidad, unidad=self.unidad,
            objeto_imp=self.objeto_imp, taxes=tuple(self.taxes) if self.taxes is not None else None,
            descuento=self.descuento, no_identificacion=self.no_identificacion,
        )


class InvoiceIn(InputSchema):
    customer_id: int
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    metodo_pago: str = Field("PUE", max_length=3, description="PUE o PPD.")
    forma_pago: str | None = Field(None, max_length=2, description="c_FormaPago; obligatoria con PUE.")
    moneda: str = Field("MXN", max_length=3)
    tipo_cambio: TipoCambio | None = None
    serie: str | None = Field(None, max_length=25)
    uso_cfdi: str | None = Field(None, max_length=4, description="Sustituye el uso CFDI del cliente.")
    send_email: bool = True
    condiciones_de_pago: str = Field("", max_length=200)
    fecha: datetime | None = Field(
        None, description="Fecha del CFDI (ISO 8601). Sin zona horaria es la hora local del lugar de expedición. "
        "Debe estar dentro de las últimas 72 horas (menos 10 minutos de margen) y no ser futura; "
        "si se omite, es el momento de sellar.")

    def to_input(self) -> InvoiceInput:
        return InvoiceInput(
            customer_id=self.customer_id, lines=tuple(line.to_input() for line in self.lines),
            metodo_pago=self.metodo_pago, forma_pago=self.forma_pago, moneda=self.moneda,
            tipo_cambio=self.tipo_cambio, serie=self.serie, uso_cfdi=self.uso_cfdi,
            condiciones_de_pago=self.condiciones_de_pago, send_email=self.send_email, fecha=self.fecha,
        )


class InvoiceFilters(Schema):
    status: InvoiceStatus | None = None
    customer_id: int | None = None
    created_from: date | datetime | None = Field(None, description="Desde (fecha u hora ISO 8601, incluida).")
    created_to: date | datetime | None = Field(None, description="Hasta (una fecha incluye todo ese día).")


class CustomerRef(Schema):
    id: int
    rfc: str
    nombre: str


class Hold(Schema):
    code: str
    message: str


class LineOut(LineAmountsOut):
    position: int
    product_id: int | None
    descripcion: str
    clave_prod_serv: str
    clave_unidad: str
    unidad: str
    no_identificacion: str
    cantidad: str
    valor_unitario: str = Field(description="Sin impuestos, hasta 6 decimales.")
    descuento: str
    objeto_imp: str
    taxes: list[str]
    importe: str


class DeliveryOut(Schema):
    channel: str
    status: str
    recipients: list[str]
    attempts: int
    sent_at: datetime | None
    last_error: str


class EventOut(Schema):
    at: datetime
    kind: str
    from_status: str
    to_status: str
    actor: str
    message: str


class InvoiceSummary(TotalsOut):
    id: int
    livemode: bool
    status: InvoiceStatus
    status_label: str = Field(description="Estado en español: Borrador, Sellada, Timbrada, …")
    serie: str
    folio: str
    serie_folio: str
    uuid: str | None = Field(description="Folio fiscal, una vez timbrada.")
    customer: CustomerRef
    metodo_pago: str
    forma_pago: str
    moneda: str
    tipo_cambio: str | None
    uso_cfdi: str
    subtotal: str
    descuento: str
    total_impuestos_trasladados: str
    total_impuestos_retenidos: str
    total: str
    hold: Hold | None = Field(description="Por qué está detenida y qué corregir.")
    created_at: datetime
    status_changed_at: datetime
    stamped_at: datetime | None

    @staticmethod
    def resolve_tipo_cambio(obj: Any) -> str | None:
        return decimal_text(obj.tipo_cambio, min_places=2)

    @staticmethod
    def resolve_uso_cfdi(obj: Any) -> str:
        return str(obj.uso_cfdi or obj.customer.uso_cfdi)

    @staticmethod
    def resolve_hold(obj: Any) -> dict[str, str] | None:
        if obj.status != InvoiceStatus.HELD:
            return None
        return {"code": obj.hold_code, "message": obj.hold_message}


class InvoiceOut(InvoiceSummary):
    tipo_de_comprobante: str
    condiciones_de_pago: str
    send_email: bool
    fecha: str = Field(description="Fecha del CFDI (hora local del lugar de expedición), una vez sellada.")
    no_certificado: str
    receptor: dict[str, str] = Field(description="Datos del receptor tal como se sellaron.")
    lines: list[LineOut]
    deliveries: list[DeliveryOut]
    events: list[EventOut] = Field(description="Historial de la factura, del más antiguo al más reciente.")
    # Receivables (issue 4): what a PPD invoice still owes after the payments recorded against it.
    payment_status: str | None = Field(description="pendiente, parcial o pagada (PUE: pagada al emitirse); "
                                       "null si no es un ingreso timbrado.")
    open_balance: str | None = Field(description="Saldo pendiente de una factura PPD timbrada; null si no aplica.")
    # Cancellation and corrections (issue 11).
    cancellation: CancellationOut | None = Field(description="La cancelación ante el SAT, si se pidió.")
    sat_status: SatSnapshotOut | None = Field(description="Lo último que dijo el servicio de consulta del SAT.")
    credited: str = Field(description="Lo acreditado con notas de crédito.")
    substitute_id: int | None = Field(description="La factura que sustituye a esta («corregir y sustituir»).")

    @staticmethod
    def resolve_cancellation(obj: Any) -> dict[str, Any] | None:
        return cancellation_of(obj)

    @staticmethod
    def resolve_sat_status(obj: Any) -> dict[str, Any] | None:
        return sat_status_of(obj)

    @staticmethod
    def resolve_credited(obj: Any) -> str:
        return money(Decimal(obj.credited)) or "0.00"

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_deliveries(obj: Any) -> list[Any]:
        return list(obj.deliveries.all())

    @staticmethod
    def resolve_events(obj: Any) -> list[Any]:
        return list(obj.events.all())

    @staticmethod
    def resolve_payment_status(obj: Any) -> str | None:
        return receivables.payment_status(obj)

    @staticmethod
    def resolve_open_balance(obj: Any) -> str | None:
        if obj.metodo_pago != "PPD" or receivables.payment_status(obj) is None:
            return None
        return money(receivables.open_balance(obj))
