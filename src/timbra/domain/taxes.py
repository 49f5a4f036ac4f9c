"""What a CFDI 4.0 will state about money, computed from an `InvoiceDraft`.

This is the one truth for amounts: `cfdi.build` writes these very values (tax Base and
Importe are passed to satcfdi explicitly) and then checks that satcfdi's own sums agree.
The algorithm reproduces satcfdi 26.10 `create/compute.py` + `create/cfd/cfdi40.py`
step by step so that a plain satcfdi build of the same draft says the same thing
(a property test checks both):

* concepto Importe = round(Cantidad x ValorUnitario) at the currency's decimals;
* tax Base = Importe - Descuento;
* tax Importe = Base x TasaOCuota, rounded by a residual tracker per (traslado or
  retención, impuesto): while the accumulated rounding residual of earlier lines stays
  under half a unit it rounds half-even, otherwise it rounds towards paying the residual
  back (ceiling or floor). Ceiling/floor of the exact value always lies inside SAT's
  Anexo 20 limits [trunc((Base - 10^-d/2) x Tasa), ceil((Base + 10^-d/2) x Tasa)];
* summary: traslados grouped by (Impuesto, TipoFactor, TasaOCuota) summing Base and
  Importe; retenciones grouped by Impuesto summing Importe;
* Total = SubTotal - Descuento + TotalImpuestosTrasladados - TotalImpuestosRetenidos
  (CFDI40119).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from timbra.domain.draft import Concepto, InvoiceDraft, TaxRate
from timbra.domain.money import RATE_SCALE, currency_decimals, quantum, round_amount

# c_ObjetoImp keys whose concepto must not carry an Impuestos node (Anexo 20, ObjetoImp).
_OBJETO_IMP_SIN_DESGLOSE = frozenset({"01", "03", "04"})


class TaxComputationError(ValueError):
    """The draft cannot be turned into CFDI amounts (a contradiction in its data)."""


@dataclass(frozen=True)
class TaxLine:
    """One traslado or retención of one concepto, as written in the XML."""

    impuesto: str
    tipo_factor: str
    tasa_o_cuota: Decimal | None  # six decimals; None for Exento
    base: Decimal
    importe: Decimal | None  # None for Exento
    retencion: bool


@dataclass(frozen=True)
class ConceptoAmounts:
    importe: Decimal
    descuento: Decimal | None  # at the currency's decimals, as written
    traslados: tuple[TaxLine, ...]
    retenciones: tuple[TaxLine, ...]


@dataclass(frozen=True)
class TrasladoSummary:
    impuesto: str
    tipo_factor: str
    tasa_o_cuota: Decimal | None
    base: Decimal
    importe: Decimal | None


@dataclass(frozen=True)
class RetencionSummary:
    impuesto: str
    importe: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    """Every amount the Comprobante states. Optional ones are None when the XML omits them."""

    decimals: int
    conceptos: tuple[ConceptoAmounts, ...]
    sub_total: Decimal
    descuento: Decimal | None
    traslados: tuple[TrasladoSummary, ...]
    retenciones: tuple[RetencionSummary, ...]
    total_impuestos_trasladados: Decimal | None
    total_impuestos_retenidos: Decimal | None
    total: Decimal


class _ResidualRounder:
    """satcfdi's RoundTracker: rounding that pays back the residual of earlier lines."""

    def __init__(self, decimals: int) -> None:
        self.decimals = decimals
        self.offset = Decimal(0)
        self.margin = quantum(decimals) / 2

    def __call__(self, value: Decimal) -> Decimal:
        if self.offset >= self.margin:
            rounded = round_amount(value, self.decimals, rounding=ROUND_CEILING)
        elif self.offset <= -self.margin:
            rounded = round_amount(value, self.decimals, rounding=ROUND_FLOOR)
        else:
            rounded = round_amount(value, self.decimals)
        self.offset += value - rounded
        return rounded


class _Rounders(dict[tuple[bool, str], _ResidualRounder]):
    def __init__(self, decimals: int) -> None:
        super().__init__()
        self.decimals = decimals

    def __missing__(self, key: tuple[bool, str]) -> _ResidualRounder:
        rounder = self[key] = _ResidualRounder(self.decimals)
        return rounder


def _tasa(rate: TaxRate) -> Decimal:
    if rate.tasa_o_cuota is None:
        raise TaxComputationError(f"Falta la tasa del impuesto {rate.impuesto} ({rate.tipo_factor})")
    return round_amount(rate.tasa_o_cuota, RATE_SCALE)


def rate_6(rate: TaxRate) -> Decimal | None:
    """TasaOCuota with SAT's six decimals (0.16 -> 0.160000); None for Exento."""
    return None if rate.tipo_factor == "Exento" else _tasa(rate)


def _tax_line(rate: TaxRate, base: Decimal, rounders: _Rounders) -> TaxLine:
    if rate.tipo_factor == "Exento":
        if rate.retencion:
            raise TaxComputationError("Una retención no puede ser exenta")
        return TaxLine(rate.impuesto, "Exento", None, base, None, retencion=False)
    if rate.tipo_factor != "Tasa":
        # Cuota (IEPS per unit) is not offered; satcfdi would write the cuota itself as Importe.
        raise TaxComputationError(f"Tipo de factor no soportado: {rate.tipo_factor}")
    tasa = _tasa(rate)
    importe = rounders[(rate.retencion, rate.impuesto)](base * tasa)
    return TaxLine(rate.impuesto, "Tasa", tasa, base, importe, rate.retencion)


def _concepto_amounts(concepto: Concepto, decimals: int, rounders: _Rounders) -> ConceptoAmounts:
    if concepto.impuestos and concepto.objeto_imp in _OBJETO_IMP_SIN_DESGLOSE:
        raise TaxComputationError(
            f"La partida «{concepto.descripcion}» tiene ObjetoImp {concepto.objeto_imp} y no puede llevar impuestos"
        )
    importe = round_amount(concepto.cantidad * concepto.valor_unitario, decimals)
    descuento = None if concepto.descuento is None else round_amount(concepto.descuento, decimals)
    base = importe - (descuento or 0)
    if base < 0:
        raise TaxComputationError(f"El descuento de la partida «{concepto.descripcion}» excede su importe")
    if base == 0 and concepto.impuestos:
        # cfdv40.xsd: a concepto's Traslado/Retencion Base has minInclusive 0.000001.
        raise TaxComputationError(
            f"La partida «{concepto.descripcion}» tiene base cero y no puede llevar impuestos"
        )
    lines = [_tax_line(rate, base, rounders) for rate in concepto.impuestos]
    return ConceptoAmounts(
        importe=importe,
        descuento=descuento,
        traslados=tuple(line for line in lines if not line.retencion),
        retenciones=tuple(line for line in lines if line.retencion),
    )


def _add(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _group_traslados(conceptos: Sequence[ConceptoAmounts]) -> tuple[TrasladoSummary, ...]:
    groups: dict[tuple[str, str, Decimal | None], TrasladoSummary] = {}
    for line in (t for c in conceptos for t in c.traslados):
        key = (line.impuesto, line.tipo_factor, line.tasa_o_cuota)
        prev = groups.get(key)
        if prev is None:
            groups[key] = TrasladoSummary(*key, base=line.base, importe=line.importe)
        else:
            groups[key] = TrasladoSummary(
                *key, base=prev.base + line.base, importe=_add(prev.importe, line.importe)
            )
    return tuple(groups.values())


def _group_retenciones(conceptos: Sequence[ConceptoAmounts]) -> tuple[RetencionSummary, ...]:
    groups: dict[str, Decimal] = {}
    for line in (r for c in conceptos for r in c.retenciones):
        assert line.importe is not None
        prev = groups.get(line.impuesto)
        groups[line.impuesto] = line.importe if prev is None else prev + line.importe
    return tuple(RetencionSummary(impuesto, importe) for impuesto, importe in groups.items())


def _sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def compute_totals(draft: InvoiceDraft, decimals: int | None = None) -> InvoiceTotals:
    """All the amounts the CFDI for `draft` will state.

    `decimals` defaults to the c_Moneda decimals of `draft.moneda`.
    """
    if decimals is None:
        decimals = currency_decimals(draft.moneda)
    rounders = _Rounders(decimals)
    conceptos = tuple(_concepto_amounts(c, decimals, rounders) for c in draft.conceptos)
    sub_total = sum((c.importe for c in conceptos), Decimal(0))
    descuento = sum((c.descuento or Decimal(0) for c in conceptos), Decimal(0))
    traslados = _group_traslados(conceptos)
    retenciones = _group_retenciones(conceptos)
    trasladados = _sum_or_none([t.importe for t in traslados])
    retenidos = _sum_or_none([r.importe for r in retenciones])
    total = sub_total - descuento + (trasladados or 0) - (retenidos or 0)
    return InvoiceTotals(
        decimals=decimals,
        conceptos=conceptos,
        sub_total=sub_total,
        descuento=descuento or None,  # satcfdi omits a zero Descuento
        traslados=traslados,
        retenciones=retenciones,
        total_impuestos_trasladados=trasladados,
        total_impuestos_retenidos=retenidos,
        total=total,
    )


def _line_total(
    valor_unitario: Decimal, cantidad: Decimal, rates: Sequence[TaxRate], decimals: int
) -> Decimal:
    concepto = Concepto("01010101", "E48", cantidad, "-", valor_unitario, "02", tuple(rates))
    amounts = _concepto_amounts(concepto, decimals, _Rounders(decimals))
    trasladados = sum((t.importe or Decimal(0) for t in amounts.traslados), Decimal(0))
    retenidos = sum((r.importe or Decimal(0) for r in amounts.retenciones), Decimal(0))
    return amounts.importe + trasladados - retenidos


def unit_price_from_gross(
    gross_unit_price: Decimal,
    rates: Sequence[TaxRate],
    cantidad: Decimal = Decimal(1),
    decimals: int = 2,
) -> Decimal:
    """The tax-exclusive ValorUnitario (six decimals) for a tax-inclusive price.

    `rates` are the taxes the gross price includes: traslados add, retenciones subtract.
    Pass only the traslados for "the price includes IVA"; pass every tax when the gross
    is what the customer actually paid (e.g. a card charge) and the CFDI Total must match it.

    How close the Total gets: the target is round(gross x cantidad, decimals). We try
    the cent Importes around target / (1 + rates) and keep the one whose single-line
    Total (computed exactly as `compute_totals` does) is closest to the target,
    preferring not to exceed it. The Total equals the target whenever that amount is
    reachable at all, and it is not always reachable: Importe and each tax are rounded to
    cents, so with IVA 16 % the Total moves in steps of 1 or 2 cents (0.03 + 0.00 = 0.03,
    0.04 + 0.01 = 0.05: no net price gives 0.04). Measured over every amount from 0.01 to
    200.00: IVA 16 % hits 86.2 % exactly, IVA 8 % 92.6 %, IVA 16 % with both RESICO
    retentions 85.0 %; every other amount ends exactly one cent below the target (the
    naive division ends one cent above or below). On an invoice with several lines the
    residual tracker may move a line's tax by one more cent.
    """
    if cantidad <= 0:
        raise TaxComputationError("La cantidad debe ser mayor que cero")
    if gross_unit_price <= 0:
        raise TaxComputationError("El precio con impuestos debe ser mayor que cero")
    factor = Decimal(1)
    for rate in rates:
        tasa = rate_6(rate) or Decimal(0)
        factor += -tasa if rate.retencion else tasa
    target = round_amount(gross_unit_price * cantidad, decimals)
    estimate = round_amount(target / factor, decimals)
    best: tuple[tuple[Decimal, bool], Decimal] | None = None
    for k in (0, -1, 1, -2, 2):
        importe = estimate + k * quantum(decimals)
        if importe <= 0:
            continue  # a zero Importe cannot carry taxes
        valor_unitario = round_amount(importe / cantidad, RATE_SCALE)
        total = _line_total(valor_unitario, cantidad, rates, decimals)
        score = (abs(total - target), total > target)
        if best is None or score < best[0]:
            best = (score, valor_unitario)
    if best is None:
        raise TaxComputationError("No hay un precio sin impuestos para ese importe")
    return best[1]
