"""The amounts of a Complemento de Pago 2.0 (CFDI type P, "REP"), from pure inputs.

Each payment received against a PPD invoice is reported with a REP (reference/cfdi.md §4.3).
The rules follow SAT's "Guía de llenado del CFDI con complemento para recepción de pagos 2.0"
as CfdiUtils' `SumasPagos20\\Calculator` implements it; our tests reproduce its published
vectors (shared/sat/pagos20-vectors) to the cent.

DoctoRelacionado, in the invoice's currency (MonedaDR):
* ImpSaldoInsoluto = ImpSaldoAnt - ImpPagado, never negative; amounts at MonedaDR's decimals.
* BaseDR = Base stated on the invoice x ImpPagado / Total of the invoice (the guide's
  proportional factor), rounded to 6 decimals (t_Importe allows six) with `round_amount`.
* ImporteDR = BaseDR x TasaOCuotaDR, rounded to 6 decimals. It is derived from BaseDR, not
  from the invoice's Importe x factor: the PAC checks ImporteDR against BaseDR x Tasa within
  the Anexo 20 limits, and vector 001 (partial payments) is reproducible only this way.

Pago, in the payment's currency (MonedaP):
* every BaseDR/ImporteDR is divided by EquivalenciaDR, truncated at 24 decimals (CfdiUtils
  uses bcmath at scale 24, and bcdiv truncates), grouped (traslados by impuesto, tipo factor
  and tasa; retenciones by impuesto) and the sums rounded HALF-UP to 6 decimals. CfdiUtils
  truncated here until PR #112 (2023-07: "the value has to be rounded", as PACs such as
  Finkok announced); vector 004 is only reproduced by rounding (truncating gives
  BaseP 1089653.476923 instead of .476924).
* Monto must cover trunc(sum(ImpPagado / EquivalenciaDR)) at MonedaP's decimals.

Totales, in MXN: the ImpuestosP of every Pago times its TipoCambioP, and the Montos times
TipoCambioP, summed and rounded HALF-UP to 2 decimals.

Where this differs from Timbra's half-even `round_amount` default: ImpuestosP and Totales
round half-up (away from zero), as CfdiUtils' `Decimal::round` and the guide's "redondear"
do; on an exact half (100.125 -> 100.13, half-even says 100.12) the PAC expects half-up, so
the mode is passed to `round_amount` explicitly. BaseDR and ImporteDR keep half-even: no rule
fixes their direction (the PAC only checks ImporteDR within the Anexo 20 limits of BaseDR x
Tasa, which either direction meets) and for IVA 16 % and 8 % a tie cannot occur.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

from timbra.domain.draft import IEPS, ISR, IVA
from timbra.domain.money import RATE_SCALE, currency_decimals, round_amount
from timbra.domain.taxes import InvoiceTotals, RetencionSummary, TaxLine, TrasladoSummary

PAGO_SCALE = 6  # BaseDR, ImporteDR, BaseP, ImporteP: tdCFDI:t_Importe, six decimals
TOTALES_SCALE = 2  # Totales: tdCFDI:t_ImporteMXN
EQUIVALENCIA_SCALE = 10  # Pagos20.xsd EquivalenciaDR fractionDigits
TIPO_CAMBIO_SCALE = 6  # Pagos20.xsd TipoCambioP fractionDigits
_DIVISION_SCALE = 24  # CfdiUtils' bcmath scale
_PRECISION = 60  # digits: 18 integer digits at 24 decimals never round
MXN = "MXN"
OBJETO_IMP_DESGLOSE = "02"  # c_ObjetoImp "Sí objeto de impuesto": ImpuestosDR required
_FACTORES = frozenset({"Tasa", "Exento"})


class PaymentError(ValueError):
    """The payment cannot be reported as a Complemento de Pago 2.0; `message` is for people."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class PaidDocument:
    """A PPD invoice being paid, as its CFDI states it.

    `taxes` are the invoice's traslados and retenciones grouped by (impuesto, tipo factor,
    tasa), with the Base and Importe the invoice states (`document_taxes` makes them from
    `InvoiceTotals`); only Base and the rate drive the REP (ImporteDR = BaseDR x tasa).
    `imp_saldo_ant` is what was still owed before this payment: the Total for the first
    parcialidad.
    """

    uuid: str
    moneda_dr: str
    total: Decimal
    imp_saldo_ant: Decimal
    num_parcialidad: int
    objeto_imp_dr: str
    taxes: tuple[TaxLine, ...] = ()
    serie: str | None = None
    folio: str | None = None

    @property
    def paid_before(self) -> Decimal:
        return self.total - self.imp_saldo_ant


@dataclass(frozen=True)
class DocumentPayment:
    """The part of a payment applied to one invoice, in the invoice's currency.

    `equivalencia_dr`: units of MonedaDR per one unit of MonedaP; None when both are equal.
    """

    document: PaidDocument
    imp_pagado: Decimal
    equivalencia_dr: Decimal | None = None


@dataclass(frozen=True)
class Payment:
    """One payment received (one pago20:Pago).

    `fecha_pago`: naive local time, an aware datetime, or a date (then 12:00:00, as the
    guide asks when the time is unknown). `monto` None means the minimum that covers the
    documents. `tipo_cambio_p`: MXN per unit of MonedaP; None for MXN.
    """

    fecha_pago: datetime | date
    forma_de_pago_p: str
    moneda_p: str
    monto: Decimal | None
    documents: tuple[DocumentPayment, ...]
    tipo_cambio_p: Decimal | None = None
    num_operacion: str | None = None


@dataclass(frozen=True)
class DoctoRelacionadoAmounts:
    """What one pago20:DoctoRelacionado states."""

    document: PaidDocument
    equivalencia_dr: Decimal
    imp_saldo_ant: Decimal
    imp_pagado: Decimal
    imp_saldo_insoluto: Decimal
    traslados_dr: tuple[TaxLine, ...]
    retenciones_dr: tuple[TaxLine, ...]

    @property
    def num_parcialidad(self) -> int:
        return self.document.num_parcialidad


@dataclass(frozen=True)
class PagoAmounts:
    """What one pago20:Pago states; ImpuestosP in the payment's currency."""

    payment: Payment
    tipo_cambio_p: Decimal
    monto: Decimal
    monto_minimo: Decimal
    documentos: tuple[DoctoRelacionadoAmounts, ...]
    traslados_p: tuple[TrasladoSummary, ...]
    retenciones_p: tuple[RetencionSummary, ...]


@dataclass(frozen=True)
class PagosTotales:
    """pago20:Totales, in MXN; None when the attribute is omitted."""

    monto_total_pagos: Decimal
    total_retenciones_iva: Decimal | None = None
    total_retenciones_isr: Decimal | None = None
    total_retenciones_ieps: Decimal | None = None
    total_traslados_base_iva16: Decimal | None = None
    total_traslados_impuesto_iva16: Decimal | None = None
    total_traslados_base_iva8: Decimal | None = None
    total_traslados_impuesto_iva8: Decimal | None = None
    total_traslados_base_iva0: Decimal | None = None
    total_traslados_impuesto_iva0: Decimal | None = None
    total_traslados_base_iva_exento: Decimal | None = None

    def attributes(self) -> dict[str, Decimal]:
        """The Totales attributes the XML carries, by their Pagos20.xsd names."""
        values = {name: getattr(self, field) for name, field in TOTALES_ATTRIBUTES}
        return {name: value for name, value in values.items() if value is not None}


TOTALES_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    ("TotalRetencionesIVA", "total_retenciones_iva"),
    ("TotalRetencionesISR", "total_retenciones_isr"),
    ("TotalRetencionesIEPS", "total_retenciones_ieps"),
    ("TotalTrasladosBaseIVA16", "total_traslados_base_iva16"),
    ("TotalTrasladosImpuestoIVA16", "total_traslados_impuesto_iva16"),
    ("TotalTrasladosBaseIVA8", "total_traslados_base_iva8"),
    ("TotalTrasladosImpuestoIVA8", "total_traslados_impuesto_iva8"),
    ("TotalTrasladosBaseIVA0", "total_traslados_base_iva0"),
    ("TotalTrasladosImpuestoIVA0", "total_traslados_impuesto_iva0"),
    ("TotalTrasladosBaseIVAExento", "total_traslados_base_iva_exento"),
    ("MontoTotalPagos", "monto_total_pagos"),
)


@dataclass(frozen=True)
class PagosAmounts:
    """Everything a Complemento de Pago 2.0 states about money."""

    pagos: tuple[PagoAmounts, ...]
    totales: PagosTotales


# --- inputs --------------------------------------------------------------------------------------


def document_taxes(totals: InvoiceTotals) -> tuple[TaxLine, ...]:
    """An invoice's taxes grouped as ImpuestosDR needs them (retenciones keep base and rate).

    The Comprobante's summary groups retenciones by impuesto only, without Base; a RetencionDR
    needs both, so we group the conceptos' lines like satcfdi's `make_impuestos_dr`.
    """
    groups: dict[tuple[bool, str, str, Decimal | None], TaxLine] = {}
    for line in (t for c in totals.conceptos for t in (*c.traslados, *c.retenciones)):
        key = (line.retencion, line.impuesto, line.tipo_factor, line.tasa_o_cuota)
        prev = groups.get(key)
        if prev is None:
            groups[key] = line
            continue
        importe = None if line.importe is None else (prev.importe or Decimal(0)) + line.importe
        groups[key] = TaxLine(*key[1:], base=prev.base + line.base, importe=importe, retencion=key[0])
    return tuple(groups.values())


def fecha_pago_local(fecha_pago: datetime | date, tz: tzinfo | None = None) -> datetime:
    """FechaPago as the XML writes it: naive local time, whole seconds.

    A date becomes 12:00:00 (guide: "En caso de no contar con la hora se debe registrar
    12:00:00"); an aware datetime is expressed in `tz`, which it then requires.
    """
    if not isinstance(fecha_pago, datetime):
        return datetime.combine(fecha_pago, time(12, 0))
    if fecha_pago.tzinfo is not None:
        if tz is None:
            raise PaymentError("Falta la zona horaria para expresar la fecha de pago", "fecha_pago")
        fecha_pago = fecha_pago.astimezone(tz).replace(tzinfo=None)
    return fecha_pago.replace(microsecond=0)


def _fits(value: Decimal, places: int) -> bool:
    return value == round_amount(value, places)


def _check_amount(value: Decimal, moneda: str, field: str, *, positive: bool = True) -> Decimal:
    places = currency_decimals(moneda)
    if positive and value <= 0:
        raise PaymentError(f"El importe {field} debe ser mayor que cero", field)
    if not _fits(value, places):
        # CRP20: amounts in a currency carry at most that currency's c_Moneda decimals.
        raise PaymentError(f"El importe {field} tiene más de {places} decimales para {moneda}", field)
    return round_amount(value, places)


def _check_taxes(document: PaidDocument) -> None:
    if document.objeto_imp_dr == OBJETO_IMP_DESGLOSE and not document.taxes:
        raise PaymentError(f"El documento {document.uuid} es objeto de impuesto pero no tiene impuestos")
    if document.objeto_imp_dr != OBJETO_IMP_DESGLOSE and document.taxes:
        raise PaymentError(
            f"El documento {document.uuid} con ObjetoImpDR {document.objeto_imp_dr} no lleva impuestos"
        )
    for tax in document.taxes:
        if tax.tipo_factor not in _FACTORES or (tax.tipo_factor == "Exento") == (
            tax.tasa_o_cuota is not None
        ):
            raise PaymentError(f"Impuesto no soportado en el documento {document.uuid}: {tax.tipo_factor}")
        if tax.retencion and tax.tipo_factor == "Exento":
            raise PaymentError("Una retención no puede ser exenta")


def _check_document(document: PaidDocument) -> None:
    if not 1 <= document.num_parcialidad <= 999:  # Pagos20.xsd: [1-9][0-9]{0,2}
        raise PaymentError("El número de parcialidad debe estar entre 1 y 999", "num_parcialidad")
    total = _check_amount(document.total, document.moneda_dr, "total")
    saldo = _check_amount(document.imp_saldo_ant, document.moneda_dr, "imp_saldo_ant")
    if saldo > total:
        raise PaymentError("El saldo anterior no puede exceder el total del documento", "imp_saldo_ant")
    if document.num_parcialidad == 1 and saldo != total:
        raise PaymentError("En la primera parcialidad el saldo anterior es el total", "imp_saldo_ant")
    _check_taxes(document)


def _equivalencia(line: DocumentPayment, moneda_p: str) -> Decimal:
    equivalencia = line.equivalencia_dr
    if line.document.moneda_dr == moneda_p:
        # Guide: EquivalenciaDR is 1 when the invoice and the payment share the currency.
        if equivalencia not in (None, Decimal(1)):
            raise PaymentError("La equivalencia debe ser 1 si el documento y el pago usan la misma moneda")
        return Decimal(1)
    if equivalencia is None or equivalencia <= 0 or not _fits(equivalencia, EQUIVALENCIA_SCALE):
        raise PaymentError(
            f"Falta una equivalencia válida (hasta 10 decimales) entre {line.document.moneda_dr} y {moneda_p}",
            "equivalencia_dr",
        )
    return equivalencia


def _tipo_cambio(payment: Payment) -> Decimal:
    tipo_cambio = payment.tipo_cambio_p
    if payment.moneda_p == MXN:
        if tipo_cambio not in (None, Decimal(1)):
            raise PaymentError("El tipo de cambio de un pago en MXN es 1", "tipo_cambio_p")
        return Decimal(1)
    if tipo_cambio is None or tipo_cambio <= 0 or not _fits(tipo_cambio, TIPO_CAMBIO_SCALE):
        raise PaymentError("Falta un tipo de cambio válido (hasta 6 decimales) para el pago", "tipo_cambio_p")
    return tipo_cambio


# --- DoctoRelacionado ----------------------------------------------------------------------------------


def _tax_dr(tax: TaxLine, imp_pagado: Decimal, total: Decimal) -> TaxLine:
    base = round_amount(tax.base * imp_pagado / total, PAGO_SCALE)
    if base <= 0:
        # Pagos20.xsd: BaseDR minInclusive 0.000001.
        raise PaymentError(
            "El importe pagado es demasiado pequeño para desglosar sus impuestos", "imp_pagado"
        )
    if tax.tasa_o_cuota is None:
        return TaxLine(tax.impuesto, tax.tipo_factor, None, base, None, retencion=False)
    tasa = round_amount(tax.tasa_o_cuota, RATE_SCALE)
    importe = round_amount(base * tasa, PAGO_SCALE)
    return TaxLine(tax.impuesto, tax.tipo_factor, tasa, base, importe, tax.retencion)


def _docto_relacionado(line: DocumentPayment, moneda_p: str) -> DoctoRelacionadoAmounts:
    document = line.document
    _check_document(document)
    equivalencia = _equivalencia(line, moneda_p)
    imp_pagado = _check_amount(line.imp_pagado, document.moneda_dr, "imp_pagado")
    imp_saldo_ant = round_amount(document.imp_saldo_ant, currency_decimals(document.moneda_dr))
    if imp_pagado > imp_saldo_ant:
        raise PaymentError(
            f"El importe pagado ({imp_pagado}) excede el saldo del documento ({imp_saldo_ant})", "imp_pagado"
        )
    taxes = [_tax_dr(tax, imp_pagado, document.total) for tax in document.taxes]
    return DoctoRelacionadoAmounts(
        document=document,
        equivalencia_dr=equivalencia,
        imp_saldo_ant=imp_saldo_ant,
        imp_pagado=imp_pagado,
        imp_saldo_insoluto=imp_saldo_ant - imp_pagado,
        traslados_dr=tuple(t for t in taxes if not t.retencion),
        retenciones_dr=tuple(t for t in taxes if t.retencion),
    )


# --- Pago ----------------------------------------------------------------------------------------------


def _to_moneda_p(value: Decimal, equivalencia: Decimal) -> Decimal:
    # bcdiv(value, EquivalenciaDR, 24) truncates: the same digits CfdiUtils sums.
    with localcontext(prec=_PRECISION, rounding=ROUND_DOWN):
        return round_amount(value / equivalencia, _DIVISION_SCALE, rounding=ROUND_DOWN)


def _round_p(value: Decimal) -> Decimal:
    return round_amount(value, PAGO_SCALE, rounding=ROUND_HALF_UP)


def _impuestos_p(
    documentos: Sequence[DoctoRelacionadoAmounts],
) -> tuple[tuple[TrasladoSummary, ...], tuple[RetencionSummary, ...]]:
    traslados: dict[tuple[str, str, Decimal | None], tuple[Decimal, Decimal | None]] = {}
    retenciones: dict[str, Decimal] = {}
    for dr in documentos:
        for t in dr.traslados_dr:
            key = (t.impuesto, t.tipo_factor, t.tasa_o_cuota)
            base, importe = traslados.get(key, (Decimal(0), None))
            if t.importe is not None:
                importe = (importe or Decimal(0)) + _to_moneda_p(t.importe, dr.equivalencia_dr)
            traslados[key] = (base + _to_moneda_p(t.base, dr.equivalencia_dr), importe)
        for r in dr.retenciones_dr:
            assert r.importe is not None  # a retención always has a rate (checked)
            retenciones[r.impuesto] = retenciones.get(r.impuesto, Decimal(0)) + _to_moneda_p(
                r.importe, dr.equivalencia_dr
            )
    return (
        tuple(
            TrasladoSummary(*key, base=_round_p(base), importe=None if imp is None else _round_p(imp))
            for key, (base, imp) in traslados.items()
        ),
        tuple(RetencionSummary(impuesto, _round_p(importe)) for impuesto, importe in retenciones.items()),
    )


def _monto(payment: Payment, documentos: Sequence[DoctoRelacionadoAmounts]) -> tuple[Decimal, Decimal]:
    places = currency_decimals(payment.moneda_p)
    paid = sum((_to_moneda_p(d.imp_pagado, d.equivalencia_dr) for d in documentos), Decimal(0))
    minimo = round_amount(paid, places, rounding=ROUND_DOWN)
    if payment.monto is None:
        return minimo, minimo
    monto = _check_amount(payment.monto, payment.moneda_p, "monto")
    if monto < minimo:
        raise PaymentError(
            f"El monto del pago ({monto}) no cubre lo pagado a los documentos ({minimo})", "monto"
        )
    return monto, minimo


def compute_pago(payment: Payment) -> PagoAmounts:
    """The amounts of one pago20:Pago (raises `PaymentError` on contradictory data)."""
    if not payment.documents:
        raise PaymentError("Un pago debe relacionar al menos un documento", "documents")
    uuids = [line.document.uuid.upper() for line in payment.documents]
    if len(set(uuids)) != len(uuids):
        raise PaymentError("Un documento aparece dos veces en el mismo pago", "documents")
    if payment.moneda_p == "XXX":
        raise PaymentError("La moneda del pago no puede ser XXX", "moneda_p")
    tipo_cambio = _tipo_cambio(payment)
    with localcontext(prec=_PRECISION):
        documentos = tuple(_docto_relacionado(line, payment.moneda_p) for line in payment.documents)
        monto, minimo = _monto(payment, documentos)
        traslados, retenciones = _impuestos_p(documentos)
    return PagoAmounts(payment, tipo_cambio, monto, minimo, documentos, traslados, retenciones)


# --- Totales -------------------------------------------------------------------------------------------

_RETENCION_FIELDS = {
    ISR: "total_retenciones_isr",
    IVA: "total_retenciones_iva",
    IEPS: "total_retenciones_ieps",
}
_IVA_FIELDS = {"0.160000": "iva16", "0.080000": "iva8", "0.000000": "iva0"}


def _totales_fields(pago: PagoAmounts) -> list[tuple[str, Decimal]]:
    fields = [(_RETENCION_FIELDS[r.impuesto], r.importe) for r in pago.retenciones_p]
    for t in pago.traslados_p:
        if t.impuesto != IVA:
            continue  # Totales only sums IVA traslados (Pagos20.xsd)
        if t.tipo_factor == "Exento":
            fields.append(("total_traslados_base_iva_exento", t.base))
        elif (suffix := _IVA_FIELDS.get(f"{t.tasa_o_cuota:.6f}")) is not None:
            assert t.importe is not None
            fields += [
                (f"total_traslados_base_{suffix}", t.base),
                (f"total_traslados_impuesto_{suffix}", t.importe),
            ]
    return fields


def compute_totales(pagos: Sequence[PagoAmounts]) -> PagosTotales:
    """pago20:Totales: every Pago converted to MXN with its TipoCambioP, rounded half-up."""
    sums: dict[str, Decimal] = {}
    with localcontext(prec=_PRECISION):
        monto_total = sum((p.monto * p.tipo_cambio_p for p in pagos), Decimal(0))
        for pago in pagos:
            for field, value in _totales_fields(pago):
                sums[field] = sums.get(field, Decimal(0)) + value * pago.tipo_cambio_p
        rounded = {f: round_amount(v, TOTALES_SCALE, rounding=ROUND_HALF_UP) for f, v in sums.items()}
        return PagosTotales(
            monto_total_pagos=round_amount(monto_total, TOTALES_SCALE, rounding=ROUND_HALF_UP), **rounded
        )


def compute_pagos(payments: Sequence[Payment]) -> PagosAmounts:
    """All the amounts of a Complemento de Pago 2.0 covering `payments` (one Pago each)."""
    if not payments:
        raise PaymentError("Un complemento de pago necesita al menos un pago")
    pagos = tuple(compute_pago(payment) for payment in payments)
    return PagosAmounts(pagos=pagos, totales=compute_totales(pagos))
