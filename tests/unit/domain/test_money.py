from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from satcfdi.catalogs import moneda_decimales

from timbra.domain.money import (
    CURRENCY_DECIMALS,
    InexactAmount,
    UnknownCurrency,
    currency_decimals,
    from_minor,
    round_amount,
    to_minor,
)

SAT_CATALOGS = Path(__file__).resolve().parents[3].parent / "shared" / "sat" / "catalogs"


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("0.125", 2, "0.13"),  # exact half goes up, as SAT's Guía de llenado says (issue 10)
        ("0.135", 2, "0.14"),
        ("0.1251", 2, "0.13"),
        ("-0.125", 2, "-0.13"),  # half away from zero
        ("1066.6700", 2, "1066.67"),
        ("2.5", 0, "3"),
        ("100.5", 0, "101"),  # JPY 100.5 was 100 under half-even
        ("0.123456789", 6, "0.123457"),
        ("10", 2, "10.00"),
    ],
)
def test_round_amount_rounds_half_up(value: str, places: int, expected: str) -> None:
    # given a value, when rounded, then it has exactly `places` decimals, half up
    assert str(round_amount(Decimal(value), places)) == expected


def test_round_amount_gives_the_same_result_as_satcfdis_round_under_cfdi_builds_context() -> None:
    # cfdi.build runs satcfdi (which rounds with round()) under a half-up decimal context
    with localcontext(rounding=ROUND_HALF_UP):
        for cents in range(-2000, 2000):
            value = Decimal(cents) / 400  # many exact halves of a cent
            assert round_amount(value) == round(value, 2)
            assert str(round_amount(value)) == str(round(value, 2))


def test_round_amount_takes_an_explicit_direction_for_residual_tracking() -> None:
    assert round_amount(Decimal("0.121"), 2, rounding=ROUND_CEILING) == Decimal("0.13")
    assert round_amount(Decimal("0.129"), 2, rounding=ROUND_FLOOR) == Decimal("0.12")


def test_round_amount_refuses_float() -> None:
    with pytest.raises(TypeError):
        round_amount(0.1)  # type: ignore[arg-type]


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from([0, 2, 4, 6]))
def test_minor_units_round_trip(units: int, scale: int) -> None:
    value = from_minor(units, scale)
    assert to_minor(value, scale) == units
    assert value.as_tuple().exponent == -scale


def test_to_minor_converts_amounts_and_rates() -> None:
    assert to_minor(Decimal("12.34"), 2) == 1234
    assert to_minor(Decimal("12.3"), 2) == 1230
    assert to_minor(Decimal("-0.01"), 2) == -1
    assert to_minor(Decimal("0.160000"), 6) == 160000
    assert to_minor(Decimal("0.106667"), 6) == 106667


def test_to_minor_refuses_to_round_silently() -> None:
    with pytest.raises(InexactAmount):
        to_minor(Decimal("12.345"), 2)


def test_from_minor_gives_exactly_scale_decimals() -> None:
    assert str(from_minor(1234, 2)) == "12.34"
    assert str(from_minor(0, 2)) == "0.00"
    assert str(from_minor(12500, 6)) == "0.012500"


def test_minor_unit_helpers_refuse_floats_and_bools() -> None:
    with pytest.raises(TypeError):
        to_minor(1.5, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        from_minor(True, 2)


def test_currency_decimals_follow_sat_catalog() -> None:
    assert currency_decimals("MXN") == 2
    assert currency_decimals("USD") == 2
    assert currency_decimals("EUR") == 2
    assert currency_decimals("JPY") == 0
    assert currency_decimals("CLF") == 4


def test_every_known_currency_matches_c_moneda_and_satcfdi() -> None:
    # given SAT's c_Moneda as shipped in sat/catalogs, when compared, then our table agrees
    sql = (SAT_CATALOGS / "cfdi_40_monedas.sql").read_text(encoding="utf-8")
    catalog = {m[0]: int(m[1]) for m in re.findall(r"VALUES\('(\w{3})','[^']*',(\d+),", sql)}
    for moneda, decimals in CURRENCY_DECIMALS.items():
        assert catalog[moneda] == decimals, moneda
        assert moneda_decimales(moneda) == decimals, moneda


def test_any_c_moneda_currency_has_its_decimals_even_outside_the_quick_table() -> None:
    # issue 10, defect 2: "moneda": "GTQ" answered a 500
    assert "GTQ" not in CURRENCY_DECIMALS
    assert currency_decimals("GTQ") == 2


def test_unknown_currency_is_refused_in_spanish() -> None:
    with pytest.raises(UnknownCurrency, match="Moneda no soportada: ZZZ"):
        currency_decimals("ZZZ")
