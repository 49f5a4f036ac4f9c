"""Global invoice periods: the days a factura global covers and its InformacionGlobal."""

from __future__ import annotations

from datetime import date

import pytest

from timbra.domain.draft import InformacionGlobal
from timbra.domain.global_periods import (
    Periodicity,
    allowed_periodicities,
    period_containing,
    period_from_key,
)


def test_a_monthly_period_is_the_calendar_month() -> None:
    period = period_containing(date(2026, 11, 17), Periodicity.MONTHLY)
    assert (period.start, period.end) == (date(2026, 11, 1), date(2026, 12, 1))
    assert period.informacion_global() == InformacionGlobal("04", "11", 2026)
    assert period.label() == "1 al 30 de noviembre de 2026"


def test_a_week_never_crosses_a_month_so_meses_and_año_stay_unambiguous() -> None:
    december = period_containing(date(2026, 12, 30), Periodicity.WEEKLY)  # Mon 28 Dec
    january = period_containing(date(2027, 1, 2), Periodicity.WEEKLY)
    assert (december.start, december.end) == (date(2026, 12, 28), date(2027, 1, 1))
    assert (january.start, january.end) == (date(2027, 1, 1), date(2027, 1, 4))
    assert december.next() == january
    assert january.informacion_global() == InformacionGlobal("02", "01", 2027)


@pytest.mark.parametrize(
    ("day", "meses", "start", "end"),
    [
        (date(2026, 1, 31), "13", date(2026, 1, 1), date(2026, 3, 1)),
        (date(2026, 4, 1), "14", date(2026, 3, 1), date(2026, 5, 1)),
        (date(2026, 12, 31), "18", date(2026, 11, 1), date(2027, 1, 1)),
    ],
)
def test_a_bimester_maps_to_meses_13_to_18(day: date, meses: str, start: date, end: date) -> None:
    period = period_containing(day, Periodicity.BIMONTHLY)
    assert (period.start, period.end, period.informacion_global().meses) == (start, end, meses)


def test_a_daily_period_is_one_day_and_round_trips_through_its_key() -> None:
    period = period_containing(date(2026, 3, 8), Periodicity.DAILY)
    assert period.informacion_global() == InformacionGlobal("01", "03", 2026)
    assert period_from_key(period.key) == period


def test_only_the_rif_regimen_may_choose_bimonthly() -> None:
    assert Periodicity.BIMONTHLY not in allowed_periodicities("601")
    assert Periodicity.BIMONTHLY in allowed_periodicities("621")
