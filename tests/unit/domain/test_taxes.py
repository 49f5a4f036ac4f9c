from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.unit.domain.drafts import (
    IVA0,
    IVA8,
    IVA16,
    IVA_EXENTO,
    RET_ISR_10,
    RET_ISR_RESICO,
    RET_IVA_2_3,
    concepto,
    draft,
)
from timbra.domain.draft import IVA, TaxRate
from timbra.domain.money import round_amount
from timbra.domain.taxes import (
    InvoiceTotals,
    RetencionSummary,
    TaxComputationError,
    TrasladoSummary,
    compute_totals,
)

D = Decimal


def test_iva_16_on_several_lines_is_computed_per_line_and_summed() -> None:
    # given three lines taxed at IVA 16 %
    invoice = draft(
        concepto("1000.00", IVA16),
        concepto("33.333333", IVA16, cantidad="3"),
        concepto("0.50", IVA16),
    )
    # when
    totals = compute_totals(invoice)
    # then
    assert [c.importe for c in totals.conceptos] == [D("1000.00"), D("100.00"), D("0.50")]
    assert [c.traslados[0].importe for c in totals.conceptos] == [D("160.00"), D("16.00"), D("0.08")]
    assert totals.sub_total == D("1100.50")
    assert totals.traslados == (TrasladoSummary("002", "Tasa", D("0.160000"), D("1100.50"), D("176.08")),)
    assert totals.total_impuestos_trasladados == D("176.08")
    assert totals.total_impuestos_retenidos is None
    assert totals.descuento is None
    assert str(totals.total) == "1276.58"


def test_each_line_tax_is_rounded_half_up_on_its_own_so_a_person_can_check_it() -> None:
    # given three lines of 1.03 (IVA 0.1648 each): no residual carried from line to line
    invoice = draft(*(concepto("1.03", IVA16) for _ in range(3)))
    totals = compute_totals(invoice)
    assert [c.traslados[0].importe for c in totals.conceptos] == [D("0.16"), D("0.16"), D("0.16")]
    assert totals.total_impuestos_trasladados == D("0.48")
    assert totals.total == D("3.57")


def test_forty_lines_of_an_eighth_of_a_peso_add_up_to_5_20_not_4_80() -> None:
    # issue 10, defect 6: half-even rounded every 0.125 down to 0.12
    totals = compute_totals(draft(*(concepto("0.125") for _ in range(40))))
    assert totals.sub_total == D("5.20") and totals.total == D("5.20")


def test_an_explicit_tax_importe_may_be_the_floor_or_the_ceiling_of_the_exact_value() -> None:
    # given base 0.03 with IVA 16 % (exact 0.0048): half up says 0.00, SAT accepts 0.00 or 0.01
    ceiling = compute_totals(draft(concepto("0.03", IVA16, tax_importes=(D("0.01"),))))
    assert ceiling.total == D("0.04")
    with pytest.raises(TaxComputationError, match="tolerancia"):
        compute_totals(draft(concepto("0.03", IVA16, tax_importes=(D("0.02"),))))


def test_iva_8_percent_border_rate() -> None:
    totals = compute_totals(draft(concepto("1000.00", IVA8)))
    assert totals.traslados == (TrasladoSummary("002", "Tasa", D("0.080000"), D("1000.00"), D("80.00")),)
    assert totals.total == D("1080.00")


def test_iva_0_percent_states_a_zero_tax_total() -> None:
    totals = compute_totals(draft(concepto("1000.00", IVA0)))
    assert totals.conceptos[0].traslados[0].importe == D("0.00")
    assert str(totals.total_impuestos_trasladados) == "0.00"
    assert totals.total == D("1000.00")


def test_exento_has_a_base_but_no_rate_and_no_amount() -> None:
    totals = compute_totals(draft(concepto("500.00", IVA_EXENTO)))
    line = totals.conceptos[0].traslados[0]
    assert (line.tipo_factor, line.tasa_o_cuota, line.base, line.importe) == (
        "Exento",
        None,
        D("500.00"),
        None,
    )
    assert totals.traslados == (TrasladoSummary("002", "Exento", None, D("500.00"), None),)
    assert totals.total_impuestos_trasladados is None  # CFDI omits it when every traslado is exento
    assert totals.total == D("500.00")


def test_exento_and_taxed_lines_are_summarised_apart() -> None:
    totals = compute_totals(draft(concepto("500.00", IVA_EXENTO), concepto("100.00", IVA16)))
    assert totals.traslados == (
        TrasladoSummary("002", "Exento", None, D("500.00"), None),
        TrasladoSummary("002", "Tasa", D("0.160000"), D("100.00"), D("16.00")),
    )
    assert totals.total_impuestos_trasladados == D("16.00")
    assert totals.total == D("616.00")


def test_resico_retentions_example() -> None:
    # given 10,000 + IVA 1,600 − ISR RESICO 1.25 % − IVA 2/3 (reference/cfdi.md §4.7)
    totals = compute_totals(draft(concepto("10000.00", IVA16, RET_ISR_RESICO, RET_IVA_2_3)))
    assert totals.retenciones == (RetencionSummary("001", D("125.00")), RetencionSummary("002", D("1066.67")))
    assert totals.total_impuestos_trasladados == D("1600.00")
    assert totals.total_impuestos_retenidos == D("1191.67")
    assert str(totals.total) == "10408.33"


def test_general_regime_professional_services_retentions() -> None:
    totals = compute_totals(draft(concepto("10000.00", IVA16, RET_ISR_10, RET_IVA_2_3)))
    retenciones = totals.conceptos[0].retenciones
    assert [(r.impuesto, r.tasa_o_cuota, r.base, r.importe) for r in retenciones] == [
        ("001", D("0.100000"), D("10000.00"), D("1000.00")),
        ("002", D("0.106667"), D("10000.00"), D("1066.67")),
    ]
    assert totals.total == D("9533.33")


def test_descuento_lowers_the_tax_base_and_the_total_but_not_the_subtotal() -> None:
    totals = compute_totals(draft(concepto("1000.00", IVA16, descuento="100")))
    assert totals.conceptos[0].descuento == D("100.00")
    assert totals.conceptos[0].traslados[0].base == D("900.00")
    assert totals.sub_total == D("1000.00")
    assert str(totals.descuento) == "100.00"
    assert totals.total == D("1044.00")


def test_descuento_is_rounded_to_the_currency_decimals_half_up() -> None:
    totals = compute_totals(
        draft(concepto("100.00", IVA16, descuento="10.005"), concepto("100", descuento="10.015"))
    )
    assert [c.descuento for c in totals.conceptos] == [D("10.01"), D("10.02")]


def test_foreign_currency_with_two_decimals() -> None:
    totals = compute_totals(
        draft(concepto("49.99", IVA16, cantidad="2"), moneda="USD", tipo_cambio=D("17.25"))
    )
    assert totals.decimals == 2
    assert (totals.sub_total, totals.total_impuestos_trasladados, totals.total) == (
        D("99.98"),
        D("16.00"),
        D("115.98"),
    )


def test_yen_amounts_have_no_decimals() -> None:
    totals = compute_totals(draft(concepto("1234.5", IVA16), moneda="JPY", tipo_cambio=D("0.12")))
    assert str(totals.sub_total) == "1235"  # 1234.5 half up
    assert str(totals.total_impuestos_trasladados) == "198"  # 197.6
    assert str(totals.total) == "1433"


def test_clf_amounts_have_four_decimals() -> None:
    totals = compute_totals(draft(concepto("10.12345", IVA16), moneda="CLF", tipo_cambio=D("750")))
    assert str(totals.sub_total) == "10.1235"  # 10.12345 half up
    assert str(totals.total_impuestos_trasladados) == "1.6198"  # 1.61976
    assert str(totals.total) == "11.7433"


def test_decimals_can_be_given_explicitly() -> None:
    totals = compute_totals(draft(concepto("10.555")), decimals=1)
    assert str(totals.total) == "10.6"


def test_objeto_imp_01_has_no_taxes() -> None:
    totals = compute_totals(draft(concepto("250.00")))
    assert totals.conceptos[0].traslados == () and totals.traslados == () and totals.retenciones == ()
    assert totals.total == D("250.00")


@pytest.mark.parametrize("objeto_imp", ["01", "03", "04"])
def test_a_line_not_subject_to_breakdown_cannot_carry_taxes(objeto_imp: str) -> None:
    with pytest.raises(TaxComputationError, match="ObjetoImp"):
        compute_totals(draft(concepto("100.00", IVA16, objeto_imp=objeto_imp)))


def test_contradictory_tax_data_is_refused() -> None:
    with pytest.raises(TaxComputationError, match="exenta"):
        compute_totals(draft(concepto("100", TaxRate(IVA, "Exento", None, retencion=True))))
    with pytest.raises(TaxComputationError, match="factor"):
        compute_totals(draft(concepto("100", TaxRate("003", "Cuota", D("0.5")))))
    with pytest.raises(TaxComputationError, match="tasa"):
        compute_totals(draft(concepto("100", TaxRate(IVA, "Tasa", None))))
    with pytest.raises(TaxComputationError, match="descuento"):
        compute_totals(draft(concepto("100", IVA16, descuento="100.01")))


def test_a_taxed_line_with_zero_base_is_refused() -> None:
    # cfdv40.xsd requires a tax Base of at least 0.000001
    with pytest.raises(TaxComputationError, match="base cero"):
        compute_totals(draft(concepto("100", IVA16, descuento="100")))
    with pytest.raises(TaxComputationError, match="base cero"):
        compute_totals(draft(concepto("0.4", IVA16), moneda="JPY"))


def _within_sat_limits(
    totals: InvoiceTotals, invoice_cantidades: list[Decimal], valores: list[Decimal]
) -> None:
    # Anexo 20 (pp. 76-78): limits for Concepto Importe and for each tax Importe.
    half = D(1).scaleb(-totals.decimals) / 2
    unit = D(1).scaleb(-totals.decimals)
    for amounts, cantidad, valor in zip(totals.conceptos, invoice_cantidades, valores, strict=True):
        dc = -cantidad.as_tuple().exponent
        dv = -valor.as_tuple().exponent
        low = (cantidad - D(1).scaleb(-dc) / 2) * (valor - D(1).scaleb(-dv) / 2)
        high = (cantidad + D(1).scaleb(-dc) / 2) * (valor + D(1).scaleb(-dv) / 2)
        assert math.floor(low / unit) * unit <= amounts.importe <= math.ceil(high / unit) * unit
        for line in amounts.traslados + amounts.retenciones:
            assert line.importe is not None and line.tasa_o_cuota is not None
            low = (line.base - half) * line.tasa_o_cuota
            high = (line.base + half) * line.tasa_o_cuota
            assert math.floor(low / unit) * unit <= line.importe <= math.ceil(high / unit) * unit


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999"), places=6)
quantities = st.decimals(min_value=D("0.001"), max_value=D("500"), places=3)
tax_sets = st.sampled_from(
    [(IVA16,), (IVA8,), (IVA0,), (IVA16, RET_ISR_RESICO, RET_IVA_2_3), (IVA16, RET_ISR_10)]
)


@given(st.lists(st.tuples(amounts, quantities, tax_sets), min_size=1, max_size=5))
def test_every_amount_lies_within_sat_limits_and_the_total_adds_up(
    lines: list[tuple[Decimal, Decimal, tuple[TaxRate, ...]]],
) -> None:
    assume(all(round_amount(v * q) > 0 for v, q, _ in lines))  # a zero tax Base is invalid
    invoice = draft(*(concepto(v, *taxes, cantidad=q) for v, q, taxes in lines))
    totals = compute_totals(invoice)
    _within_sat_limits(totals, [q for _, q, _ in lines], [v for v, _, _ in lines])
    expected = (
        totals.sub_total
        - (totals.descuento or 0)
        + (totals.total_impuestos_trasladados or 0)
        - (totals.total_impuestos_retenidos or 0)
    )
    assert totals.total == expected  # CFDI40119
    assert sum(t.importe or 0 for t in totals.traslados) == sum(
        line.importe or 0 for c in totals.conceptos for line in c.traslados
    )
