"""Select options for the dashboard forms, in Spanish, from the SAT catalogs and presets."""

from __future__ import annotations

from functools import cache

from timbra.domain import catalogs, tax_presets
from timbra.domain.status import LABELS

Choices = list[tuple[str, str]]

# Most subscription businesses bill in these; they go first in the currency list.
COMMON_MONEDAS = ("MXN", "USD", "EUR")


@cache
def catalog_choices(catalog: str) -> Choices:
    """`[(code, "code – texto")]` of the codes usable today (no retired ones)."""
    return [(code, f"{code} – {texto}") for code, texto in catalogs.codes(catalog)]


def forma_pago_choices() -> Choices:
    return [choice for choice in catalog_choices("forma_pago") if choice[0] != "99"] + [
        ("99", "99 – Por definir (solo con PPD)")
    ]


def metodo_pago_choices() -> Choices:
    # PUE first: a subscription charge is usually already paid when it is invoiced.
    return sorted(catalog_choices("metodo_pago"), key=lambda choice: choice[0] != "PUE")


def moneda_choices() -> Choices:
    all_choices = catalog_choices("moneda")
    first = [c for code in COMMON_MONEDAS for c in all_choices if c[0] == code]
    return first + [c for c in all_choices if c[0] not in COMMON_MONEDAS]


def tax_choices() -> Choices:
    return list(tax_presets.LABELS.items())


def status_choices() -> Choices:
    return [("", "Todos los estados")] + [(status.value, label) for status, label in LABELS.items()]
