"""Money as `Decimal`: the one rounding function, minor units, currency decimals.

Why half up: SAT's Guía de llenado (Anexo 20) tells the issuer to round each amount to the
currency's decimals the ordinary way, half away from zero, so 0.125 -> 0.13 and JPY 100.5 -> 101:
what a person (or an accountant with a calculator) expects. Issue 10 found half-even giving 4.80
instead of 5.20 for 40 lines of 0.125. satcfdi (which writes our XML) rounds with Python's `round()`,
which follows the decimal context, so `cfdi.build` runs it under a half-up context and the XML says
exactly what we compute. Any rounding inside Anexo 20's limits (truncated lower bound, ceiling of the
upper bound) is fiscally valid; half up is the one people can check.

The database keeps integer minor units (SQLite has no exact decimal): scale 2 for
amounts, scale 6 for unit prices, quantities and rates (SAT's six decimals).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

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


def round_amount(value: Decimal, places: int = AMOUNT_SCALE, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round `value` to `places` decimals: THE rounding function of Timbra.

    Half up by default, as SAT's Guía de llenado says (see the module docstring). `rounding`
    exists for the few places that need a bound (floor/ceiling inside SAT's tolerance, the REP's
    truncations), so every rounding in the code base still goes through here.
    """
    if not isinstance(value, Decimal):
        raise TypeError(f"round_amount takes Decimal, not {type(value).__name__}")
    return value.quantize(quantum(places), rounding=rounding)


def currency_decimals(moneda: str) -> int:
    """Decimals SAT's c_Moneda allows for `moneda` (MXN 2, JPY 0, CLF 4, GTQ 2...).

    The table above answers the usual currencies without a lookup; any other code of c_Moneda
    (GTQ, PEN, ...) comes from the catalog, so no valid currency is ever "unsupported"."""
    known = CURRENCY_DECIMALS.get(moneda)
    if known is not None:
        return known
    from timbra.domain import catalogs  # catalogs reads JSON files; most calls never get here

    try:
        return catalogs.moneda_decimales(moneda)
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
