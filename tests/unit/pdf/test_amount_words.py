from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timbra.cfdi.amount_words import amount_in_words, integer_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "CERO PESOS 00/100 M.N."),
        ("0.99", "CERO PESOS 99/100 M.N."),
        ("1", "UN PESO 00/100 M.N."),
        ("1.01", "UN PESO 01/100 M.N."),
        ("2", "DOS PESOS 00/100 M.N."),
        ("15", "QUINCE PESOS 00/100 M.N."),
        ("16", "DIECISÉIS PESOS 00/100 M.N."),
        ("21", "VEINTIÚN PESOS 00/100 M.N."),
        ("22", "VEINTIDÓS PESOS 00/100 M.N."),
        ("30", "TREINTA PESOS 00/100 M.N."),
        ("31", "TREINTA Y UN PESOS 00/100 M.N."),
        ("99", "NOVENTA Y NUEVE PESOS 00/100 M.N."),
        ("100", "CIEN PESOS 00/100 M.N."),
        ("101", "CIENTO UN PESOS 00/100 M.N."),
        ("115", "CIENTO QUINCE PESOS 00/100 M.N."),
        ("500", "QUINIENTOS PESOS 00/100 M.N."),
        ("999", "NOVECIENTOS NOVENTA Y NUEVE PESOS 00/100 M.N."),
        ("1000", "MIL PESOS 00/100 M.N."),
        ("1001", "MIL UN PESOS 00/100 M.N."),
        ("1622.83", "MIL SEISCIENTOS VEINTIDÓS PESOS 83/100 M.N."),
        ("2000", "DOS MIL PESOS 00/100 M.N."),
        ("21000", "VEINTIÚN MIL PESOS 00/100 M.N."),
        ("100000", "CIEN MIL PESOS 00/100 M.N."),
        ("101000", "CIENTO UN MIL PESOS 00/100 M.N."),
        ("1000000", "UN MILLÓN DE PESOS 00/100 M.N."),
        ("1000001", "UN MILLÓN UN PESOS 00/100 M.N."),
        ("1001000", "UN MILLÓN MIL PESOS 00/100 M.N."),
        ("2000000", "DOS MILLONES DE PESOS 00/100 M.N."),
        ("21000000", "VEINTIÚN MILLONES DE PESOS 00/100 M.N."),
        ("2500000.50", "DOS MILLONES QUINIENTOS MIL PESOS 50/100 M.N."),
        ("1000000000", "MIL MILLONES DE PESOS 00/100 M.N."),
        ("1000000000000", "UN BILLÓN DE PESOS 00/100 M.N."),
        ("3000000000000", "TRES BILLONES DE PESOS 00/100 M.N."),
        ("1000000000000000000", "UN TRILLÓN DE PESOS 00/100 M.N."),
    ],
)
def test_pesos_are_written_in_spanish_with_cents_over_100(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount), "MXN") == words


def test_a_big_number_reads_every_group() -> None:
    # given a total with every group populated: 987,654,321,123.45
    # when it is written / then each group of thousands and millions appears, in order
    assert amount_in_words(Decimal("987654321123.45"), "MXN") == (
        "NOVECIENTOS OCHENTA Y SIETE MIL SEISCIENTOS CINCUENTA Y CUATRO MILLONES "
        "TRESCIENTOS VEINTIÚN MIL CIENTO VEINTITRÉS PESOS 45/100 M.N."
    )


@pytest.mark.parametrize(
    ("amount", "moneda", "words"),
    [
        ("50.50", "USD", "CINCUENTA DÓLARES 50/100 USD"),
        ("1", "USD", "UN DÓLAR 00/100 USD"),
        ("1000000", "USD", "UN MILLÓN DE DÓLARES 00/100 USD"),
        ("21.10", "EUR", "VEINTIÚN EUROS 10/100 EUR"),
        ("1", "EUR", "UN EURO 00/100 EUR"),
        ("7", "JPY", "SIETE 00/100 JPY"),
        ("12.5", "mxn", "DOCE PESOS 50/100 M.N."),
    ],
)
def test_other_currencies_use_their_noun_or_their_code(amount: str, moneda: str, words: str) -> None:
    assert amount_in_words(Decimal(amount), moneda) == words


@pytest.mark.parametrize(
    ("amount", "cents"), [("10.005", "01/100"), ("10.004", "00/100"), ("0.995", "00/100")]
)
def test_extra_decimals_round_half_up_to_cents(amount: str, cents: str) -> None:
    assert cents in amount_in_words(Decimal(amount), "MXN")


def test_rounding_carries_into_the_integer_part() -> None:
    assert amount_in_words(Decimal("0.995"), "MXN") == "UN PESO 00/100 M.N."


@pytest.mark.parametrize("amount", [Decimal(-1), Decimal("1E+24"), "abc"])
def test_negative_huge_or_invalid_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValueError):
        amount_in_words(amount, "MXN")  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**24 - 1))
def test_every_integer_in_range_has_clean_words(n: int) -> None:
    words = integer_in_words(n)
    assert words == words.strip() and "  " not in words
    assert "UNO" not in words  # apocope before the (masculine) currency noun and before MIL/MILLONES
    assert not words.startswith("UN MIL ") and "NES UN MIL" not in words and "LLÓN UN MIL" not in words
    assert words.endswith(("LLÓN", "LLONES")) == (n > 0 and n % 10**6 == 0)


@given(st.integers(min_value=1, max_value=999))
def test_thousands_repeat_the_words_of_the_hundreds(n: int) -> None:
    # "N mil": the words for n, then MIL (except "MIL" alone for one thousand)
    expected = "MIL" if n == 1 else f"{integer_in_words(n)} MIL"
    assert integer_in_words(n * 1000) == expected
