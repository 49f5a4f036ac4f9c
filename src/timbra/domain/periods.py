"""Recurring-invoice calendar: frequencies, anchor-day arithmetic, periods and their Spanish labels.

Pure date arithmetic, no clock and no time zone: a schedule's instants (when an invoice is due) live
in `schedule_dates`, which builds on this module.

Month ends keep their anchor (issue 4; reference/reliability.md T1-T3, Stripe's billing-cycle rule):
every date is computed from the anchor, never from the previous date, so an anchor on the 31st gives
Jan 31 -> Feb 28 (29 in leap years) -> Mar 31 -> Apr 30, and a short month never drags the later ones.

A `Period` is the stretch of days one invoice covers. Invoices go out in advance, so the period
starts on the occurrence's date and ends the day before the next nominal occurrence. `end_date` is
INCLUSIVE (the last day covered), because that is the day people read on an invoice ("del 16 al 22").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class ScheduleError(ValueError):
    """A frequency, rule, template or change a schedule cannot take. `message` is for people (es-MX)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Unit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# Stable codes (stored in the database, accepted by the API) for the frequencies issue 4 names.
_NAMED: dict[str, tuple[Unit, int]] = {
    "weekly": (Unit.WEEK, 1),
    "every_2_weeks": (Unit.WEEK, 2),
    "monthly": (Unit.MONTH, 1),
    "every_2_months": (Unit.MONTH, 2),
    "quarterly": (Unit.MONTH, 3),
    "every_6_months": (Unit.MONTH, 6),
    "yearly": (Unit.MONTH, 12),
}
_CODE_BY_SHAPE = {shape: code for code, shape in _NAMED.items()}
_EVERY_N = {"every_n_days": Unit.DAY, "every_n_weeks": Unit.WEEK, "every_n_months": Unit.MONTH}
_EVERY_N_CODE = {unit: code for code, unit in _EVERY_N.items()}
_NAMED_LABELS = {
    "weekly": "semanal",
    "every_2_weeks": "cada 2 semanas",
    "monthly": "mensual",
    "every_2_months": "bimestral",
    "quarterly": "trimestral",
    "every_6_months": "semestral",
    "yearly": "anual",
}
_UNIT_PLURAL = {Unit.DAY: "días", Unit.WEEK: "semanas", Unit.MONTH: "meses"}
MAX_COUNT = 366  # a bound so a typo ("every_n_days:3650000") cannot push dates past year 9999


@dataclass(frozen=True, slots=True)
class Frequency:
    """Every `count` days, weeks or months. A year is 12 months, so "yearly" keeps Feb 29 anchors."""

    unit: Unit
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_COUNT:
            raise ScheduleError(
                "invalid_frequency", f"La frecuencia debe repetirse cada 1 a {MAX_COUNT} unidades."
            )

    @classmethod
    def parse(cls, code: str) -> Frequency:
        """Read a stable code: "monthly", "every_2_weeks", ..., "every_n_days:10", "every_n_months:4"."""
        if code in _NAMED:
            unit, count = _NAMED[code]
            return cls(unit, count)
        name, _, number = code.partition(":")
        if name in _EVERY_N and number.isascii() and number.isdigit():
            return cls(_EVERY_N[name], int(number))
        raise ScheduleError("invalid_frequency", f"Frecuencia desconocida: {code!r}.")

    @property
    def code(self) -> str:
        """The canonical stable code; `parse(f.code) == f` and equal frequencies share one code."""
        named = _CODE_BY_SHAPE.get((self.unit, self.count))
        return named or f"{_EVERY_N_CODE[self.unit]}:{self.count}"

    @property
    def label(self) -> str:
        """How a person reads it (es-MX): "mensual", "trimestral", "cada 10 días"."""
        named = _CODE_BY_SHAPE.get((self.unit, self.count))
        if named:
            return _NAMED_LABELS[named]
        if self.count == 1:
            return {Unit.DAY: "diaria", Unit.WEEK: "semanal", Unit.MONTH: "mensual"}[self.unit]
        return f"cada {self.count} {_UNIT_PLURAL[self.unit]}"

    @property
    def months(self) -> int:
        """Months per cycle, 0 for day- and week-based frequencies."""
        return self.count if self.unit is Unit.MONTH else 0

    @property
    def days(self) -> int:
        """Days per cycle, 0 for month-based frequencies (their length varies)."""
        return {Unit.DAY: self.count, Unit.WEEK: 7 * self.count, Unit.MONTH: 0}[self.unit]


WEEKLY = Frequency(Unit.WEEK, 1)
MONTHLY = Frequency(Unit.MONTH, 1)
YEARLY = Frequency(Unit.MONTH, 12)


def days_in_month(year: int, month: int) -> int:
    """28..31; Feb 29 follows the Gregorian rule (2000 and 2028 leap, 2100 not)."""
    return calendar.monthrange(year, month)[1]


def anchored_date(anchor: date, frequency: Frequency, step: int) -> date:
    """The `step`-th date after (or, negative, before) `anchor`, always computed from the anchor.

    Month-based steps land on the anchor's day, or the month's last day when the month is shorter
    (anchor 31 -> Feb 28/29, Apr 30), so no month ever inherits a shortened day.
    """
    if frequency.unit is Unit.MONTH:
        year, month0 = divmod(anchor.year * 12 + anchor.month - 1 + step * frequency.count, 12)
        return date(year, month0 + 1, min(anchor.day, days_in_month(year, month0 + 1)))
    return anchor + timedelta(days=step * frequency.days)


def first_step_on_or_after(anchor: date, frequency: Frequency, day: date) -> int:
    """The smallest step whose `anchored_date` is on or after `day` (may be negative)."""
    if frequency.unit is not Unit.MONTH:
        return -((anchor - day).days // frequency.days)  # ceil((day - anchor) / step length)
    months = (day.year - anchor.year) * 12 + day.month - anchor.month
    step = months // frequency.count
    while anchored_date(anchor, frequency, step) < day:
        step += 1
    while anchored_date(anchor, frequency, step - 1) >= day:
        step -= 1
    return step


MONTHS_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def month_name(month: int) -> str:
    """Spanish month name, lowercase as Spanish writes it mid-sentence ("noviembre")."""
    return MONTHS_ES[month - 1]


def long_date(day: date) -> str:
    """ "16 de noviembre de 2026"."""
    return f"{day.day} de {month_name(day.month)} de {day.year}"


def date_range_label(start: date, end: date) -> str:
    """ "16 al 22 de noviembre de 2026", "30 de noviembre al 6 de diciembre de 2026", across years in full."""
    if start.year != end.year:
        return f"{long_date(start)} al {long_date(end)}"
    if start.month != end.month:
        return f"{start.day} de {month_name(start.month)} al {long_date(end)}"
    return f"{start.day} al {long_date(end)}"


@dataclass(frozen=True, slots=True)
class Period:
    """The days one invoice covers: `start_date` .. `end_date`, both included."""

    start_date: date
    end_date: date
    frequency: Frequency

    @property
    def key(self) -> str:
        """Stable id of the period within its schedule, for UNIQUE(schedule, period_key).

        Month-based: "2026-11" (the start's month; a schedule never bills two periods starting in
        one month, even across rule changes, see `schedule_dates`). Day/week-based: "2026-11-16".
        """
        if self.frequency.unit is Unit.MONTH:
            return f"{self.start_date.year:04d}-{self.start_date.month:02d}"
        return self.start_date.isoformat()

    @property
    def end_exclusive(self) -> date:
        """The first day after the period (the next nominal occurrence)."""
        return self.end_date + timedelta(days=1)

    @property
    def label(self) -> str:
        """Spanish name for descriptions: "noviembre 2026", "noviembre 2026 – enero 2027", "2027",
        "semana del 16 al 22 de noviembre de 2026", "del 1 al 10 de diciembre de 2026".

        Month-based periods are named by the `count` calendar months from the start's month (a
        monthly plan anchored on the 15th bills "noviembre" from Nov 15 to Dec 14), as invoices
        for subscriptions usually read; `{inicio}`/`{fin}` give the exact days when they matter.
        """
        if self.frequency.unit is Unit.MONTH:
            return _months_label(self.start_date, self.frequency.count)
        if self.start_date == self.end_date:
            return long_date(self.start_date)
        prefix = "semana del" if self.frequency == WEEKLY else "del"
        return f"{prefix} {date_range_label(self.start_date, self.end_date)}"


def _months_label(start: date, count: int) -> str:
    last_year, last_month0 = divmod(start.year * 12 + start.month - 1 + count - 1, 12)
    if start.month == 1 and count % 12 == 0:  # whole calendar years: "2027", "2027 – 2028"
        return str(start.year) if count == 12 else f"{start.year} – {last_year}"
    first = month_name(start.month)
    if count == 1:
        return f"{first} {start.year}"
    last = month_name(last_month0 + 1)
    if last_year == start.year:
        return f"{first} – {last} {start.year}"
    return f"{first} {start.year} – {last} {last_year}"


def placeholders(period: Period) -> dict[str, str]:
    """The values description templates can name; `{mes}` and `{año}` are the start's."""
    year = str(period.start_date.year)
    return {
        "periodo": period.label,
        "mes": month_name(period.start_date.month),
        "año": year,
        "anio": year,  # for keyboards without ñ
        "inicio": long_date(period.start_date),
        "fin": long_date(period.end_date),
    }


PLACEHOLDER_NAMES = ("periodo", "mes", "año", "anio", "inicio", "fin")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def check_description_template(template: str) -> None:
    """Raise `ScheduleError` if the template names a placeholder we do not fill (check on save)."""
    _render(template, dict.fromkeys(PLACEHOLDER_NAMES, ""))


def render_description(template: str, period: Period) -> str:
    """Fill {periodo}, {mes}, {año}, {inicio}, {fin}: "Mantenimiento {periodo}" -> "Mantenimiento noviembre 2026".

    Only these names are replaced (no attribute or index access, unlike `str.format`, because the
    template is user input); `{{` and `}}` write literal braces; anything else is a `ScheduleError`.
    """
    return _render(template, placeholders(period))


def _render(template: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1).strip()
        if name not in values:
            raise ScheduleError(
                "unknown_placeholder",
                f"La descripción usa {{{name}}}, que no existe; usa {{periodo}}, {{mes}}, {{año}}, {{inicio}} o {{fin}}.",
            )
        return values[name]

    return _TOKEN.sub(fill, template)
