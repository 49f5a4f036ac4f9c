"""The total of a CFDI in Spanish words ("importe con letra").

Mexican invoices print the total as "MIL SEISCIENTOS VEINTIDÓS PESOS 83/100 M.N.": the integer
part in words, the cents as a fraction of 100 and the currency. num2words is not used because it
gets the apocope wrong before "mil" and the currency noun ("veintiuno mil", "un millón mil").

Spanish uses the long scale: millón = 10^6, billón = 10^12, trillón = 10^18; "mil millones" is 10^9.
Every currency noun here is masculine, so 1 and 21, 31... are apocopated ("UN PESO",
"VEINTIÚN PESOS") and a round million takes "DE" ("UN MILLÓN DE PESOS").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_UNITS = (
    "CERO", "UN", "DOS", "TRES", "CUATRO", "CINCO", "SEIS", "SIETE", "OCHO", "NUEVE",
    "DIEZ", "ONCE", "DOCE", "TRECE", "CATORCE", "QUINCE", "DIECISÉIS", "DIECISIETE", "DIECIOCHO",
    "DIECINUEVE", "VEINTE", "VEINTIÚN", "VEINTIDÓS", "VEINTITRÉS", "VEINTICUATRO", "VEINTICINCO",
    "VEINTISÉIS", "VEINTISIETE", "VEINTIOCHO", "VEINTINUEVE",
)  # fmt: skip
_TENS = ("", "", "", "TREINTA", "CUARENTA", "CINCUENTA", "SESENTA", "SETENTA", "OCHENTA", "NOVENTA")
_HUNDREDS = (
    "", "CIENTO", "DOSCIENTOS", "TRESCIENTOS", "CUATROCIENTOS", "QUINIENTOS", "SEISCIENTOS",
    "SETECIENTOS", "OCHOCIENTOS", "NOVECIENTOS",
)  # fmt: skip
# (value, singular, plural) of each long-scale power of a million.
_SCALES = ((10**18, "TRILLÓN", "TRILLONES"), (10**12, "BILLÓN", "BILLONES"), (10**6, "MILLÓN", "MILLONES"))
_MAX = 10**24 - 1

# Currency nouns (singular, plural) and the suffix printed after the cents. "M.N." (moneda
# nacional) is how Mexican invoices mark pesos; other currencies show their c_Moneda code.
_CURRENCIES: dict[str, tuple[str, str, str]] = {
    "MXN": ("PESO", "PESOS", "M.N."),
    "USD": ("DÓLAR", "DÓLARES", "USD"),
    "EUR": ("EURO", "EUROS", "EUR"),
}


def _below_thousand(n: int) -> str:
    """0 < n < 1000, apocopated ("UN", "VEINTIÚN", "CIENTO UN")."""
    if n == 100:
        return "CIEN"
    hundreds, rest = divmod(n, 100)
    words = [_HUNDREDS[hundreds]] if hundreds else []
    if rest >= 30:
        tens, unit = divmod(rest, 10)
        words.append(_TENS[tens] + (f" Y {_UNITS[unit]}" if unit else ""))
    elif rest:
        words.append(_UNITS[rest])
    return " ".join(words)


def _below_million(n: int) -> str:
    """0 < n < 10^6: "MIL", "DOS MIL", "VEINTIÚN MIL CIENTO UN"."""
    thousands, rest = divmod(n, 1000)
    words = []
    if thousands == 1:
        words.append("MIL")  # never "UN MIL"
    elif thousands:
        words.append(f"{_below_thousand(thousands)} MIL")
    if rest:
        words.append(_below_thousand(rest))
    return " ".join(words)


def integer_in_words(n: int) -> str:
    """Spanish cardinal of 0 <= n < 10^24 in capitals, apocopated for a masculine noun.

    >>> integer_in_words(21_000_001)
    'VEINTIÚN MILLONES UN'
    """
    if n < 0 or n > _MAX:
        raise ValueError(f"Cantidad fuera de rango para expresarse con letra: {n}")
    if n == 0:
        return _UNITS[0]
    words = []
    for value, singular, plural in _SCALES:
        count, n = divmod(n, value)
        if count == 1:
            words.append(f"UN {singular}")
        elif count:
            words.append(f"{_below_million(count)} {plural}")
    if n:
        words.append(_below_million(n))
    return " ".join(words)


def amount_in_words(amount: Decimal, moneda: str) -> str:
    """The "importe con letra" of an amount in a c_Moneda currency.

    >>> amount_in_words(Decimal("1622.83"), "MXN")
    'MIL SEISCIENTOS VEINTIDÓS PESOS 83/100 M.N.'
    >>> amount_in_words(Decimal("50.50"), "USD")
    'CINCUENTA DÓLARES 50/100 USD'

    Cents are rounded half-up to two places (a 4-decimal currency such as CLF still prints
    hundredths, as invoices do). Currencies without a known noun print their code after the cents.
    """
    try:
        cents_total = int((Decimal(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"Importe inválido para expresarse con letra: {amount!r}") from exc
    if cents_total < 0:
        raise ValueError(f"Importe negativo no se puede expresar con letra: {amount}")
    integer, cents = divmod(cents_total, 100)
    words = integer_in_words(integer)
    code = moneda.strip().upper()
    if code not in _CURRENCIES:
        return f"{words} {cents:02d}/100 {code}".rstrip()
    singular, plural, suffix = _CURRENCIES[code]
    if integer == 1:
        noun = singular
    elif integer and integer % 10**6 == 0:
        noun = f"DE {plural}"  # "UN MILLÓN DE PESOS", "DOS BILLONES DE PESOS"
    else:
        noun = plural
    return f"{words} {noun} {cents:02d}/100 {suffix}"
