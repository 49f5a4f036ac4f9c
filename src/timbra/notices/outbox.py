"""The notices outbox: reserve a row (unique), claim it (compare-and-swap with a lease), finish it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet

from timbra.notices.models import NoticeLog

# A claimed row not finished after this long belongs to a worker that died mid-send: send again.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 6


def reserve(**fields: Any) -> NoticeLog | None:
    """Insert the notice's row; None when it already exists (the unique constraint decides,
    not a check before the insert: two workers racing get one row)."""
    try:
        with transaction.atomic():
            return NoticeLog.objects.create(**fields)
    except IntegrityError:
        return None


def claimable(as_of: datetime) -> QuerySet[NoticeLog]:
    """Pending rows nobody is sending now (never claimed, or their lease expired)."""
    return NoticeLog.objects.filter(status=NoticeLog.PENDING).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lte=as_of - LEASE))


def claim(row: NoticeLog, *, as_of: datetime) -> bool:
    """Take the row for sending; only one worker wins (`UPDATE … WHERE` still claimable)."""
    won = claimable(as_of).filter(pk=row.pk).update(claimed_at=as_of, attempts=F("attempts") + 1)
    if won:
        row.claimed_at, row.attempts = as_of, row.attempts + 1
    return bool(won)


def finish(row: NoticeLog, status: str, *, as_of: datetime, recipients: list[str] | None = None,
           detail: str = "") -> None:
    """Mark the row sent or skipped (final)."""
    NoticeLog.objects.filter(pk=row.pk, status=NoticeLog.PENDING).update(
        status=status, sent_at=as_of if status == NoticeLog.SENT else None,
        recipients=recipients or [], detail=detail[:2000])
    row.status = status


def release(row: NoticeLog, error: str, *, permanent: bool) -> None:
    """The mail server failed: try again next pass, or give up after MAX_ATTEMPTS."""
    if permanent or row.attempts >= MAX_ATTEMPTS:
        NoticeLog.objects.filter(pk=row.pk).update(status=NoticeLog.FAILED, detail=error[:2000])
        row.status = NoticeLog.FAILED
    else:
        NoticeLog.objects.filter(pk=row.pk).update(claimed_at=None, detail=error[:2000])
