"""Money as `Decimal`: the one rounding function, minor units, currency decimals.

Why half-even: satcfdi (the library that writes our XML) rounds every amount with Python's
`round()` on `Decimal`, which is ROUND_HALF_EVEN under the default context. We round the
same way so what we compute is, to the cent, what the CFDI says. SAT accepts either
direction inside the limits of Anexo 20 (Importe between the truncated lower bound and the
ceiling of the upper bound), so half-even is fiscally valid; it only differs from the
"half-up" a person expects on exact halves (0.125 -> 0.12).

The database keeps integer minor units (SQLite has no exact decimal): scale 2 for
amounts, scale 6 for unit prices, quantities and rates (SAT's six decimals).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

AMOUNT_SCALE = 2
RATE_SCALE = 6  # c_TasaOCuota, ValorUnitario and Cantidad allow six decimals (Anexo 20)

# c_Moneda "Decimales" for the currencies we expect to invoice in. Same values as SAT's
# catalog (sat/catalogs/cfdi_40_monedas.sql) and satcfdi's `moneda_decimales`; a test
# pins the equality.
CURRENCY_DECIMALS: dict[str, int] = {
    "MXN": 2,
    "USD": 2,
    "EUR": 2,
    "CAD": 2,
    "GBP": 2,
    "CHF": 2,
    "BRL": 2,
    "COP": 2,
    "ARS": 2,
    "JPY": 0,
    "KRW": 0,
    "CLP": 0,
    "CLF": 4,
    "BHD": 3,
    "KWD": 3,
    "XXX": 0,  # "sin moneda", used by the CFDI de Pagos
}


class UnknownCurrency(ValueError):
    """A currency we hold no c_Moneda decimals for."""

    def __init__(self, moneda: str) -> None:
        super().__init__(f"Moneda no soportada: {moneda}")
        self.moneda = moneda


class InexactAmount(ValueError):
    """An amount that does not fit the storage scale without rounding."""

    def __init__(self, value: Decimal, scale: int) -> None:
        super().__init__(f"El importe {value} tiene más de {scale} decimales")
        self.value = value
        self.scale = scale


def quantum(places: int) -> Decimal:
    """`Decimal('0.01')` for 2 places, `Decimal('1')` for 0."""
    return Decimal(1).scaleb(-places)


def round_amount(value: Decimal, places: int = AMOUNT_SCALE, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round `value` to `places` decimals: THE rounding function of Timbra.

    Half-even by default, like satcfdi (see the module docstring). `rounding` exists only
    for the residual tracking that satcfdi applies to tax amounts (ceiling/floor), so
    every rounding in the code base still goes through here.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"round_amount takes Decimal, not {type(value).__name__}")
    return value.quantize(quantum(places), rounding=rounding)


def currency_decimals(moneda: str) -> int:
    """Decimals SAT's c_Moneda allows for `moneda` (MXN 2, JPY 0, CLF 4...)."""
    try:
        return CURRENCY_DECIMALS[moneda]
    except KeyError:
        raise UnknownCurrency(moneda) from None


def to_minor(value: Decimal, scale: int) -> int:
    """`Decimal('12.34')`, 2 -> `1234`. Refuses values with more decimals than `scale`.

    Storage never rounds silently: round with `round_amount` first if that is intended.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"to_minor takes Decimal, not {type(value).__name__}")
    scaled = value.scaleb(scale)
    if scaled != scaled.to_integral_value():
        raise InexactAmount(value, scale)
    return int(scaled)


def from_minor(units: int, scale: int) -> Decimal:
    """`1234`, 2 -> `Decimal('12.34')`, always with exactly `scale` decimals."""
    if isinstance(units, bool) or not isinstance(units, int):
        raise TypeError(f"from_minor takes int, not {type(units).__name__}")
    return Decimal(units).scaleb(-scale).quantize(quantum(scale))
