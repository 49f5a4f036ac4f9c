"""A fixed-window rate limit shared by every web process: one row per (key, window), counted
with a conditional UPDATE (the database, not process memory, is the truth)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from timbra.globalinvoice.models import AutofacturaAttempt


def allow(key: str, *, limit: int, window: timedelta, as_of: datetime) -> bool:
    """Count one attempt for `key`; False once `limit` attempts were made in this window."""
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(as_of.timestamp()) // seconds * seconds, tz=as_of.tzinfo)
    rows = AutofacturaAttempt.objects.filter(key=key[:120], window_start=start)
    with transaction.atomic():
        if rows.filter(count__lt=limit).update(count=F("count") + 1):
            return True
        if rows.exists():
            return False
        try:
            with transaction.atomic():
                AutofacturaAttempt.objects.create(key=key[:120], window_start=start, count=1)
            return True
        except IntegrityError:  # a concurrent first attempt created the row
            return bool(rows.filter(count__lt=limit).update(count=F("count") + 1))


def forget_before(as_of: datetime) -> int:
    """Drop old windows (the periodic job calls it)."""
    deleted, _ = AutofacturaAttempt.objects.filter(window_start__lt=as_of - timedelta(days=1)).delete()
    return deleted
