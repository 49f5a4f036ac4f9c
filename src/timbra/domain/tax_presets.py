"""Named tax presets a product or invoice line can carry.

Rates are SAT's c_TasaOCuota values with six decimals. Retentions: IVA 2/3 of 16 % =
0.106667 (professional services or rent paid by a persona moral to a persona física),
ISR 10 % (same cases, general régimen) and ISR 1.25 % (RESICO, LISR art. 113-J).
"""

from __future__ import annotations

from decimal import Decimal

from timbra.domain.draft import ISR, IVA, TaxRate

PRESETS: dict[str, TaxRate] = {
    "IVA16": TaxRate(IVA, "Tasa", Decimal("0.160000")),
    "IVA8": TaxRate(IVA, "Tasa", Decimal("0.080000")),  # estímulo fiscal región fronteriza
    "IVA0": TaxRate(IVA, "Tasa", Decimal("0.000000")),
    "IVA_EXENTO": TaxRate(IVA, "Exento", None),
    "RET_IVA_2_3": TaxRate(IVA, "Tasa", Decimal("0.106667"), retencion=True),
    "RET_IVA_4": TaxRate(IVA, "Tasa", Decimal("0.040000"), retencion=True),  # autotransporte
    "RET_ISR_10": TaxRate(ISR, "Tasa", Decimal("0.100000"), retencion=True),
    "RET_ISR_RESICO": TaxRate(ISR, "Tasa", Decimal("0.012500"), retencion=True),
}

LABELS: dict[str, str] = {
    "IVA16": "IVA 16 %",
    "IVA8": "IVA 8 % (frontera)",
    "IVA0": "IVA 0 %",
    "IVA_EXENTO": "IVA exento",
    "RET_IVA_2_3": "Retención IVA 2/3 (10.6667 %)",
    "RET_IVA_4": "Retención IVA 4 %",
    "RET_ISR_10": "Retención ISR 10 %",
    "RET_ISR_RESICO": "Retención ISR RESICO 1.25 %",
}


class UnknownTaxPreset(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Impuesto desconocido: {code}. Opciones: {', '.join(PRESETS)}")
        self.code = code


def resolve(codes: list[str] | tuple[str, ...]) -> tuple[TaxRate, ...]:
    """Turn preset codes into TaxRates; at most one traslado and one retención per impuesto."""
    rates: list[TaxRate] = []
    seen: set[tuple[str, bool]] = set()
    for code in codes:
        if code not in PRESETS:
            raise UnknownTaxPreset(code)
        rate = PRESETS[code]
        key = (rate.impuesto, rate.retencion)
        if key in seen:
            raise ValueError(f"Impuesto repetido en la partida: {code}")
        seen.add(key)
        rates.append(rate)
    return tuple(rates)
