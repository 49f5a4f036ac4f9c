"""Small figures people read: how late, and how a frequency becomes a month."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from timbra.domain.periods import Unit
from timbra.schedules.selectors import monthly_factor
from timbra.schedules.services.issue import duration


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(minutes=45), "45 minutos"),
        (timedelta(minutes=1), "1 minuto"),
        (timedelta(hours=5, minutes=20), "5 horas"),
        (timedelta(days=1), "1 día"),
        (timedelta(days=18, hours=4), "18 días y 4 horas"),
        (timedelta(days=3, hours=1), "3 días y 1 hora"),
    ],
)
def test_lateness_reads_in_spanish(span, text):
    assert duration(span) == text


@pytest.mark.parametrize(
    ("unit", "count", "monthly"),
    [
        (Unit.MONTH, 1, Decimal(1)),
        (Unit.MONTH, 3, Decimal(1) / 3),
        (Unit.MONTH, 12, Decimal(1) / 12),
        (Unit.WEEK, 1, Decimal("365.25") / 12 / 7),
        (Unit.WEEK, 2, Decimal("365.25") / 12 / 14),
        (Unit.DAY, 10, Decimal("365.25") / 12 / 10),
    ],
)
def test_a_frequency_becomes_cycles_per_month(unit, count, monthly):
    assert monthly_factor(unit, count) == monthly
