"""Egreso amounts and keys: proportional shares that add up exactly; G02 only where allowed."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from timbra.domain import credit_notes, tax_presets

D = Decimal


def test_a_refund_is_split_in_proportion_to_the_lines():
    assert credit_notes.allocate(D("200.00"), [D("300"), D("100")]) == [D("150.00"), D("50.00")]
    assert credit_notes.allocate(D("0.10"), [D("1"), D("1"), D("1")]) == [D("0.04"), D("0.03"), D("0.03")]
    assert credit_notes.allocate(D("5.00"), [D("0"), D("0")]) == [D("2.50"), D("2.50")]


@given(
    st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
    st.lists(st.decimals(min_value=D("0"), max_value=D("99999.99"), places=2), min_size=1, max_size=8),
)
def test_shares_always_add_up_to_the_refund(total, weights):
    shares = credit_notes.allocate(total, weights)

    assert sum(shares) == total and all(s >= 0 for s in shares)


def test_uso_g02_where_the_regimen_allows_it_else_s01():
    assert credit_notes.uso_cfdi("URE180429TM6", "601") == "G02"
    assert credit_notes.uso_cfdi("XAXX010101000", "616") == "S01"  # generic RFC: sin efectos fiscales
    assert credit_notes.uso_cfdi("URE180429TM6", "605") == "S01"  # 605 not in G02's régimenes


def test_net_factor_adds_traslados_and_takes_retenciones():
    assert credit_notes.net_factor(tax_presets.resolve(("IVA16",))) == D("1.160000")
    rates = tax_presets.resolve(("IVA16", "RET_ISR_10", "RET_IVA_2_3"))
    assert credit_notes.net_factor(rates) == D("0.953333")
    assert credit_notes.has_retenciones(rates) and not credit_notes.has_retenciones(rates[:1])
