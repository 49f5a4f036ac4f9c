"""What a CFDI 4.0 will state about money, computed from an `InvoiceDraft`.

This is the one truth for amounts: `cfdi.build` writes these very values (tax Base and
Importe are passed to satcfdi explicitly) and then checks that satcfdi's own sums agree.

* concepto Importe = Cantidad x ValorUnitario rounded half up at the currency's decimals
  (SAT's Guía de llenado; `domain.money`);
* tax Base = Importe - Descuento;
* tax Importe = Base x TasaOCuota rounded half up, line by line, so anybody can check each
  line with a calculator (issue 10: satcfdi's residual tracker moved a line's tax by a cent
  depending on the lines before it). A line may instead carry an explicit tax Importe
  (`Concepto.tax_importes`): only the floor or the ceiling of the exact value, which always lie
  inside Anexo 20's limits [trunc((Base - 10^-d/2) x Tasa), ceil((Base + 10^-d/2) x Tasa)].
  `line_from_gross` uses that freedom so a tax-inclusive price lands exactly on the money paid;
* summary: traslados grouped by (Impuesto, TipoFactor, TasaOCuota) summing Base and
  Importe; retenciones grouped by Impuesto summing Importe;
* Total = SubTotal - Descuento + TotalImpuestosTrasladados - TotalImpuestosRetenidos
  (CFDI40119).
"""

from __future__ import annotations

import itertools
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


def _tasa(rate: TaxRate) -> Decimal:
    if rate.tasa_o_cuota is None:
        raise TaxComputationError(f"Falta la tasa del impuesto {rate.impuesto} ({rate.tipo_factor})")
    return round_amount(rate.tasa_o_cuota, RATE_SCALE)


def rate_6(rate: TaxRate) -> Decimal | None:
    """TasaOCuota with SAT's six decimals (0.16 -> 0.160000); None for Exento."""
    return None if rate.tipo_factor == "Exento" else _tasa(rate)


def tax_importe_bounds(base: Decimal, tasa: Decimal, decimals: int) -> tuple[Decimal, Decimal]:
    """The tax Importes Timbra may write for `base` x `tasa`: floor and ceiling of the exact value.

    Both always lie inside Anexo 20's limits (trunc((Base - 10^-d/2) x Tasa) and
    ceil((Base + 10^-d/2 - 10^-12) x Tasa)), so SAT accepts either."""
    exact = base * tasa
    return (
        round_amount(exact, decimals, rounding=ROUND_FLOOR),
        round_amount(exact, decimals, rounding=ROUND_CEILING),
    )


def _tax_line(rate: TaxRate, base: Decimal, decimals: int, override: Decimal | None) -> TaxLine:
    if rate.tipo_factor == "Exento":
        if rate.retencion:
            raise TaxComputationError("Una retención no puede ser exenta")
        return TaxLine(rate.impuesto, "Exento", None, base, None, retencion=False)
    if rate.tipo_factor != "Tasa":
        # Cuota (IEPS per unit) is not offered; satcfdi would write the cuota itself as Importe.
        raise TaxComputationError(f"Tipo de factor no soportado: {rate.tipo_factor}")
    tasa = _tasa(rate)
    if override is None:
        importe = round_amount(base * tasa, decimals)
    else:
        low, high = tax_importe_bounds(base, tasa, decimals)
        if not low <= override <= high:
            raise TaxComputationError(f"El impuesto {override} sobre la base {base} sale de la tolerancia del SAT")
        importe = override
    return TaxLine(rate.impuesto, "Tasa", tasa, base, importe, rate.retencion)


def _concepto_amounts(concepto: Concepto, decimals: int) -> ConceptoAmounts:
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
    overrides = concepto.tax_importes or (None,) * len(concepto.impuestos)
    if len(overrides) != len(concepto.impuestos):
        raise TaxComputationError("tax_importes no corresponde a los impuestos de la partida")
    lines = [_tax_line(rate, base, decimals, o) for rate, o in zip(concepto.impuestos, overrides, strict=True)]
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
    conceptos = tuple(_concepto_amounts(c, decimals) for c in draft.conceptos)
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


@dataclass(frozen=True)
class GrossLine:
    """A tax-exclusive line that adds up exactly to a tax-inclusive amount.

    `tax_importes` is aligned with the rates given to `line_from_gross`: None where the ordinary
    half-up rounding is used, else the floor or ceiling of the exact tax (see the module docstring)."""

    valor_unitario: Decimal
    tax_importes: tuple[Decimal | None, ...]


def line_from_gross(
    gross_unit_price: Decimal,
    rates: Sequence[TaxRate],
    cantidad: Decimal = Decimal(1),
    decimals: int = 2,
) -> GrossLine:
    """The ValorUnitario (six decimals) and tax Importes whose Total is exactly the gross.

    `rates` are the taxes the gross includes: traslados add, retenciones subtract. The target is
    round(gross x cantidad, decimals), half up. Rounding every tax half up cannot reach every
    total (with IVA 16 % an Importe of 0.03 gives 0.03 and 0.04 gives 0.05: 0.04 is skipped, as
    are about 14 % of all amounts; issue 10 found 12 % of 2,000 Stripe charges a centavo short),
    but SAT accepts the floor or the ceiling of each tax (Anexo 20's limits), and with that
    freedom every total is reachable. We try the Importes nearest target / (1 + rates) and, for
    each, the tax roundings that deviate least from half up; the first exact hit wins, so plain
    half up is kept whenever it lands. TaxComputationError when nothing lands (never seen: a
    property test walks every amount and tax mix).
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
    candidates = []
    for distance, valor_unitario in _unit_price_candidates(target, factor, cantidad, decimals):
        importe = round_amount(valor_unitario * cantidad, decimals)
        if importe <= 0:
            continue  # a zero Importe cannot carry taxes
        for deviations, importes in _tax_choices(importe, rates, decimals):
            if _gross_total(importe, rates, importes) == target:
                candidates.append((deviations, distance, valor_unitario, importes))
                break
    if not candidates:
        raise TaxComputationError(f"Ningún importe sin impuestos suma exactamente {target}")
    _, _, valor_unitario, importes = min(candidates, key=lambda c: (c[0], c[1]))
    ordinary = [_ordinary(importe_base(valor_unitario, cantidad, decimals), r, decimals) for r in rates]
    return GrossLine(
        valor_unitario=valor_unitario,
        tax_importes=tuple(None if i == o else i for i, o in zip(importes, ordinary, strict=True)),
    )


def _unit_price_candidates(
    target: Decimal, factor: Decimal, cantidad: Decimal, decimals: int
) -> list[tuple[int, Decimal]]:
    """ValorUnitario values (six decimals) whose Importe lies around target / factor, nearest first.

    Up to three centavos either side of the estimate; and, when one millionth of the unit price moves
    the Importe by more than a centavo (large quantities), three millionths either side too."""
    estimate = round_amount(target / factor, decimals)
    step, micro = quantum(decimals), quantum(RATE_SCALE)
    found: dict[Decimal, int] = {}
    for k in (0, -1, 1, -2, 2, -3, 3):
        found.setdefault(round_amount((estimate + k * step) / cantidad, RATE_SCALE), abs(k))
    if micro * cantidad > step:
        center = round_amount(estimate / cantidad, RATE_SCALE)
        for j in (0, -1, 1, -2, 2, -3, 3):
            found.setdefault(center + j * micro, abs(j))
    return sorted(((d, v) for v, d in found.items() if v > 0), key=lambda c: c[0])


def importe_base(valor_unitario: Decimal, cantidad: Decimal, decimals: int) -> Decimal:
    return round_amount(valor_unitario * cantidad, decimals)


def _ordinary(base: Decimal, rate: TaxRate, decimals: int) -> Decimal | None:
    tasa = rate_6(rate)
    return None if tasa is None else round_amount(base * tasa, decimals)


def _tax_choices(
    base: Decimal, rates: Sequence[TaxRate], decimals: int
) -> list[tuple[int, tuple[Decimal | None, ...]]]:
    """Every combination of allowed tax Importes for `base`, fewest deviations from half up first."""
    options: list[list[tuple[int, Decimal | None]]] = []
    for rate in rates:
        tasa = rate_6(rate)
        if tasa is None:
            options.append([(0, None)])
            continue
        ordinary = round_amount(base * tasa, decimals)
        low, high = tax_importe_bounds(base, tasa, decimals)
        choices: list[tuple[int, Decimal | None]] = [(0, ordinary)]
        choices += [(1, v) for v in sorted({low, high}) if v != ordinary]
        options.append(choices)
    combos = [
        (sum(d for d, _ in combo), tuple(v for _, v in combo)) for combo in itertools.product(*options)
    ]
    return sorted(combos, key=lambda c: c[0])


def _gross_total(importe: Decimal, rates: Sequence[TaxRate], importes: Sequence[Decimal | None]) -> Decimal:
    total = importe
    for rate, value in zip(rates, importes, strict=True):
        if value is not None:
            total += -value if rate.retencion else value
    return total
