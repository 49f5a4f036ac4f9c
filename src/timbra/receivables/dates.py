"""The instant a payment was received, from what a person or an API caller gives."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo


def fecha_pago_instant(value: date | datetime, tz: ZoneInfo, now: datetime) -> datetime:
    """An aware instant: a bare date is 12:00 that day (SAT's guide, when the hour is unknown),
    or now if that is still ahead; a naive time is read in the org's zone."""
    if not isinstance(value, datetime):
        return min(datetime.combine(value, time(12, 0), tzinfo=tz), now.replace(microsecond=0))
    return value if value.tzinfo else value.replace(tzinfo=tz)
