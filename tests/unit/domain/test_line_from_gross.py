"""A tax-inclusive amount becomes a line whose CFDI Total is exactly that amount (issue 10, defect 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
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
from timbra.domain.draft import ISR, IVA, TaxRate
from timbra.domain.taxes import TaxComputationError, compute_totals, line_from_gross, tax_importe_bounds

D = Decimal
ONE = Decimal(1)
RESICO = (IVA16, RET_ISR_RESICO, RET_IVA_2_3)
HONORARIOS = (IVA16, RET_IVA_2_3, RET_ISR_10)
RET_IVA_4 = TaxRate(IVA, "Tasa", D("0.040000"), retencion=True)
TAX_MIXES = [(IVA16,), (IVA8,), (IVA0,), (IVA_EXENTO,), RESICO, HONORARIOS, (IVA16, RET_IVA_4),
             (IVA16, TaxRate(ISR, "Tasa", D("0.012500"), retencion=True))]


def _total(gross: Decimal, rates: tuple[TaxRate, ...], cantidad: Decimal = ONE, decimals: int = 2) -> Decimal:
    line = line_from_gross(gross, rates, cantidad, decimals)
    moneda = {2: "MXN", 0: "JPY"}[decimals]
    invoice = draft(concepto(line.valor_unitario, *rates, cantidad=cantidad, tax_importes=line.tax_importes),
                    moneda=moneda)
    return compute_totals(invoice).total


def test_price_including_iva_16_gives_the_net_unit_price_and_plain_rounding() -> None:
    line = line_from_gross(D("116.00"), (IVA16,))
    assert str(line.valor_unitario) == "100.000000"  # six decimals, SAT's ValorUnitario precision
    assert line.tax_importes == (None,)  # half up already lands: nothing overridden


def test_amount_paid_with_resico_retentions_gives_the_resico_invoice() -> None:
    assert line_from_gross(D("10408.33"), RESICO).valor_unitario == D("10000.000000")
    assert _total(D("10408.33"), RESICO) == D("10408.33")


def test_four_centavos_with_iva_16_are_invoiced_as_four_centavos() -> None:
    # given 0.04: 0.03 + 0.00 = 0.03 and 0.04 + 0.01 = 0.05 with every tax rounded half up
    line = line_from_gross(D("0.04"), (IVA16,))
    # then the tax takes the ceiling of 0.0048, which SAT's limits allow
    assert (line.valor_unitario, line.tax_importes) == (D("0.030000"), (D("0.01"),))
    low, high = tax_importe_bounds(D("0.03"), D("0.16"), 2)
    assert low <= D("0.01") <= high
    assert _total(D("0.04"), (IVA16,)) == D("0.04")


def test_the_stripe_charge_that_came_out_a_centavo_short_now_matches() -> None:
    assert _total(D("3923.37"), (IVA16,)) == D("3923.37")


def test_quantity_spreads_the_gross_amount_over_the_units() -> None:
    assert _total(D("33.33"), (IVA16,), D("3")) == D("99.99")


def test_yen_lands_on_whole_yen() -> None:
    assert _total(D("1001"), (IVA16,), decimals=0) == D("1001")


def test_zero_quantity_or_price_is_refused() -> None:
    with pytest.raises(TaxComputationError):
        line_from_gross(D("10"), (IVA16,), cantidad=D("0"))
    with pytest.raises(TaxComputationError):
        line_from_gross(D("0"), (IVA16,))


@pytest.mark.parametrize("rates", TAX_MIXES, ids=lambda r: "+".join(f"{t.impuesto}{t.tasa_o_cuota}" for t in r))
def test_every_amount_up_to_300_pesos_lands_exactly(rates: tuple[TaxRate, ...]) -> None:
    misses = [c for c in range(1, 30001) if _total(D(c).scaleb(-2), rates) != D(c).scaleb(-2)]
    assert misses == []


@given(
    st.decimals(min_value=D("0.01"), max_value=D("2500000"), places=2),
    st.integers(min_value=1, max_value=50),
    st.sampled_from(TAX_MIXES),
)
def test_total_always_equals_the_money_received(gross: Decimal, cantidad: int, rates: tuple[TaxRate, ...]) -> None:
    assert _total(gross, rates, D(cantidad)) == gross * cantidad
