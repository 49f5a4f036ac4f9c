"""What a CFDI 4.0 must say, as frozen dataclasses.

The invoicing service turns database rows into an `InvoiceDraft`; the pre-stamp rules
(`domain.rules`) check it and the CFDI adapter (`cfdi.build`) turns it into signed XML.
Field names follow Anexo 20 verbatim (snake_case) so they grep against the standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

IVA = "002"
ISR = "001"
IEPS = "003"


@dataclass(frozen=True)
class TaxRate:
    """One tax applied to a concepto: a traslado or a retención.

    `tipo_factor` is "Tasa" or "Exento"; an exento traslado has no rate.
    Rates keep SAT's six decimals (0.160000, 0.106667, 0.012500).
    """

    impuesto: str  # c_Impuesto: "001" ISR, "002" IVA, "003" IEPS
    tipo_factor: str  # c_TipoFactor: "Tasa" | "Cuota" | "Exento"
    tasa_o_cuota: Decimal | None
    retencion: bool = False


@dataclass(frozen=True)
class Emisor:
    rfc: str
    nombre: str
    regimen_fiscal: str


@dataclass(frozen=True)
class Receptor:
    rfc: str
    nombre: str
    domicilio_fiscal_receptor: str  # the receptor's CP
    regimen_fiscal_receptor: str
    uso_cfdi: str
    residencia_fiscal: str | None = None  # only for XEXX010101000
    num_reg_id_trib: str | None = None


@dataclass(frozen=True)
class Concepto:
    """A line. `valor_unitario` is always tax-exclusive here (the service converts
    tax-inclusive prices before building the draft)."""

    clave_prod_serv: str
    clave_unidad: str
    cantidad: Decimal
    descripcion: str
    valor_unitario: Decimal
    objeto_imp: str  # c_ObjetoImp: "01" no objeto, "02" sí objeto, ...
    impuestos: tuple[TaxRate, ...] = ()
    descuento: Decimal | None = None
    no_identificacion: str | None = None
    unidad: str | None = None
    # Explicit tax Importes aligned with `impuestos` (None: round half up), set only where a
    # tax-inclusive amount must be met exactly (domain.taxes.line_from_gross). Empty: all None.
    tax_importes: tuple[Decimal | None, ...] = ()


@dataclass(frozen=True)
class CfdiRelacionados:
    tipo_relacion: str  # c_TipoRelacion, e.g. "01" nota de crédito, "04" sustitución
    uuids: tuple[str, ...]


@dataclass(frozen=True)
class InformacionGlobal:
    """The global invoice's period (Anexo 20, node InformacionGlobal; guía de llenado del CFDI
    global): c_Periodicidad ("01" diario ... "05" bimestral), c_Meses ("01"-"12", or "13"-"18"
    for a bimester) and the year the operations belong to."""

    periodicidad: str
    meses: str
    año: int


@dataclass(frozen=True)
class InvoiceDraft:
    """Everything needed to build one Comprobante 4.0.

    `fecha` is naive local time at `lugar_expedicion` (Anexo 20: "hora local donde se
    expide"), already truncated to seconds.
    """

    serie: str | None
    folio: str | None
    fecha: datetime
    tipo_de_comprobante: str  # "I" Ingreso, "E" Egreso
    lugar_expedicion: str
    moneda: str
    emisor: Emisor
    receptor: Receptor
    conceptos: tuple[Concepto, ...]
    forma_pago: str | None  # c_FormaPago; "99" por definir with PPD
    metodo_pago: str | None  # "PUE" | "PPD"
    tipo_cambio: Decimal | None = None
    exportacion: str = "01"
    condiciones_de_pago: str | None = None
    cfdi_relacionados: tuple[CfdiRelacionados, ...] = field(default=())
    informacion_global: InformacionGlobal | None = None
