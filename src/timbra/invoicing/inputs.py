"""What a caller (API, dashboard, later gateways and schedules) asks to invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class LineInput:
    """One line. Either `product_id` (its keys, price and taxes are defaults) or explicit
    fields. `unit_price` includes taxes when `price_includes_taxes` is true."""

    product_id: int | None = None
    descripcion: str | None = None
    cantidad: Decimal = Decimal(1)
    unit_price: Decimal | None = None
    price_includes_taxes: bool | None = None
    clave_prod_serv: str | None = None
    clave_unidad: str | None = None
    unidad: str | None = None
    objeto_imp: str | None = None
    taxes: tuple[str, ...] | None = None
    descuento: Decimal = Decimal(0)
    no_identificacion: str | None = None


@dataclass(frozen=True)
class InvoiceInput:
    customer_id: int
    lines: tuple[LineInput, ...]
    metodo_pago: str = "PUE"
    forma_pago: str | None = None  # required for PUE; PPD always takes "99"
    moneda: str = "MXN"
    tipo_cambio: Decimal | None = None
    serie: str | None = None
    uso_cfdi: str | None = None
    condiciones_de_pago: str = ""
    send_email: bool = True
    tipo_de_comprobante: str = "I"
    related: tuple[dict[str, object], ...] = field(default=())
    source: str = ""
    source_id: str = ""
    # The CFDI Fecha the caller asks for: aware, or naive = local time at the place of issue (the
    # org's time zone). None: the moment of sealing. Must lie within SAT's 72-hour window.
    fecha: datetime | None = None
    informacion_global: dict[str, object] | None = None  # only the factura global
