"""The factura global's periods: which stretch of days one global invoice covers, and its
InformacionGlobal (c_Periodicidad, c_Meses, Año).

Pure date arithmetic, no clock and no time zone: the caller turns an instant into the org's
local date first (a sale at 23:30 in Tijuana on the 31st belongs to the 31st there, not to
the next day in UTC), and turns `end` (exclusive local midnight) back into an instant.

A weekly period runs Monday to Sunday but never crosses a month: the week of Mon 28 Dec is
28-31 Dec and then 1-3 Jan. InformacionGlobal has a single Meses and Año, so a period split at
the month keeps every receipt in the global of the month (and year) it happened in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from timbra.domain.draft import InformacionGlobal


class Periodicity(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    BIMONTHLY = "bimonthly"


# c_Periodicidad (Anexo 20); 03 quincenal is not offered.
PERIODICIDAD = {
    Periodicity.DAILY: "01",
    Periodicity.WEEKLY: "02",
    Periodicity.MONTHLY: "04",
    Periodicity.BIMONTHLY: "05",
}
LABELS = {
    Periodicity.DAILY: "Diaria",
    Periodicity.WEEKLY: "Semanal",
    Periodicity.MONTHLY: "Mensual",
    Periodicity.BIMONTHLY: "Bimestral (solo régimen 621)",
}
# Only the Régimen de Incorporación Fiscal may report bimonthly (CFDI40132).
REGIMEN_BIMESTRAL = "621"


def allowed_periodicities(regimen_fiscal: str) -> tuple[Periodicity, ...]:
    """What an emisor with `regimen_fiscal` may choose."""
    if regimen_fiscal == REGIMEN_BIMESTRAL:
        return tuple(Periodicity)
    return (Periodicity.DAILY, Periodicity.WEEKLY, Periodicity.MONTHLY)


@dataclass(frozen=True, slots=True)
class GlobalPeriod:
    """Days `start` (inclusive) to `end` (exclusive), local to the org."""

    periodicity: Periodicity
    start: date
    end: date

    @property
    def key(self) -> str:
        """Stable text for unique keys: "monthly:2026-11-01"."""
        return f"{self.periodicity.value}:{self.start.isoformat()}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def informacion_global(self) -> InformacionGlobal:
        month = self.start.month
        if self.periodicity is Periodicity.BIMONTHLY:
            meses = str(12 + (month + 1) // 2)  # Ene-Feb 13 ... Nov-Dic 18 (Odoo: 12 + ceil(m/2))
        else:
            meses = f"{month:02d}"
        return InformacionGlobal(periodicidad=PERIODICIDAD[self.periodicity], meses=meses, año=self.start.year)

    def next(self) -> GlobalPeriod:
        return period_containing(self.end, self.periodicity)

    def label(self) -> str:
        """Spanish, for people: "1 al 30 de noviembre de 2026"."""
        first, last = self.start, self.last_day
        if first == last:
            return f"{first.day} de {_MONTHS[first.month - 1]} de {first.year}"
        if first.month == last.month:
            return f"{first.day} al {last.day} de {_MONTHS[first.month - 1]} de {first.year}"
        return (
            f"{first.day} de {_MONTHS[first.month - 1]} al {last.day} de {_MONTHS[last.month - 1]} "
            f"de {last.year}"
        )


_MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def period_containing(day: date, periodicity: Periodicity) -> GlobalPeriod:
    """The period that local date `day` belongs to."""
    if periodicity is Periodicity.DAILY:
        return GlobalPeriod(periodicity, day, day + timedelta(days=1))
    month_start = day.replace(day=1)
    next_month = _first_of_next_month(day)
    if periodicity is Periodicity.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return GlobalPeriod(periodicity, max(monday, month_start), min(monday + timedelta(days=7), next_month))
    if periodicity is Periodicity.MONTHLY:
        return GlobalPeriod(periodicity, month_start, next_month)
    first_month = month_start.month - (month_start.month - 1) % 2  # 1, 3, 5, 7, 9, 11
    start = month_start.replace(month=first_month)
    return GlobalPeriod(periodicity, start, _first_of_next_month(_first_of_next_month(start)))


def period_from_key(key: str) -> GlobalPeriod:
    """Inverse of `GlobalPeriod.key`."""
    name, _, start = key.partition(":")
    return period_containing(date.fromisoformat(start), Periodicity(name))
