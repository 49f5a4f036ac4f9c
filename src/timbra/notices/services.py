"""Send the notices that are due: customer previews, first-invoice announcements, digests.

`send_due_notices(as_of=)` is the periodic job's one call (every 15 minutes). It reserves
the rows of the notices due at `as_of` (a unique row each: a second run, or a second worker at
the same time, reserves nothing), then sends every pending row, including rows a crashed
worker left claimed (outbox.LEASE). Idempotent; time is an argument; dates are the org's
(the schedule's zone for a cycle, the org's for the digest).

When a preview goes out: on the local day `notice_days` before the invoice's date, from the
schedule's issue time on (the same wall-clock time, N days earlier), and never once the
invoice is due (then the invoice itself is on its way). `notice_days = 0` sends no preview.
"""

from __future__ import annotations

import logging
import smtplib
from collections import Counter
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from timbra.domain import schedule_dates as sd
from timbra.notices import outbox
from timbra.notices.compose import compose
from timbra.notices.models import NoticeLog
from timbra.orgs.models import Org
from timbra.schedules import selectors
from timbra.schedules.calendar import calendar_of
from timbra.schedules.models import Schedule, ScheduleChange
from timbra.schedules.services.validation import MAX_NOTICE_DAYS

log = logging.getLogger(__name__)

DIGEST_AT = time(7, 0)  # org local time
BATCH = 200


def send_due_notices(*, as_of: datetime) -> Counter[str]:
    """Reserve what is due at `as_of`, then send every pending notice. Returns counts by outcome."""
    report: Counter[str] = Counter()
    report["reserved"] += reserve_due_previews(as_of=as_of)
    report["reserved"] += reserve_due_digests(as_of=as_of)
    last = 0
    while batch := list(outbox.claimable(as_of).filter(pk__gt=last).order_by("pk")[:BATCH]):
        for row in batch:
            report[send_notice(row, as_of=as_of)] += 1
        last = batch[-1].pk
    return report


def preview_moment(occurrence: sd.Occurrence, notice_days: int, tz: ZoneInfo, issue_time: time) -> datetime:
    """When the preview of `occurrence` is due: N local days before, at the issue time (DST-safe)."""
    return sd.local_instant(occurrence.local_date - timedelta(days=notice_days), issue_time, tz)


def reserve_due_previews(*, as_of: datetime) -> int:
    """One preview row per cycle whose preview moment has come and that is not due yet."""
    # `next_due_at` is the next cycle's due instant: a schedule whose next cycle is further
    # away than the longest notice cannot owe a preview (a day of margin for zone offsets).
    horizon = as_of + timedelta(days=MAX_NOTICE_DAYS + 1)
    rows = (Schedule.objects.filter(status=Schedule.ACTIVE, notice_days__gt=0, next_due_at__lte=horizon)
            .select_related("org", "customer", "plan").order_by("pk"))
    reserved = 0
    for schedule in rows.iterator(chunk_size=500):
        for occurrence in _previews_due(schedule, as_of=as_of):
            if NoticeLog.objects.filter(schedule=schedule, period_key=occurrence.period.key,
                                        kind=NoticeLog.ANNOUNCEMENT).exists():
                continue  # the activation email already showed this invoice
            reserved += outbox.reserve(
                org_id=schedule.org_id, schedule=schedule, kind=NoticeLog.PREVIEW, index=occurrence.index,
                period_key=occurrence.period.key, created_at=as_of) is not None
    return reserved


def _previews_due(schedule: Schedule, *, as_of: datetime) -> list[sd.Occurrence]:
    calendar = calendar_of(schedule)
    tz = sd.zone(schedule.timezone)
    until = as_of.astimezone(tz).date() + timedelta(days=schedule.notice_days + 1)
    due = []
    for occurrence in selectors.cycles_until(schedule, until):
        rule = calendar.rule_for(occurrence.index)
        if occurrence.due_at > as_of >= preview_moment(occurrence, schedule.notice_days, rule.tz, rule.issue_time):
            due.append(occurrence)
    return due


def reserve_due_digests(*, as_of: datetime) -> int:
    """One digest row per org with live schedules and per local day, from 07:00 its time."""
    reserved = 0
    orgs = Org.objects.filter(schedules__status__in=selectors.LIVE_STATUSES).distinct().order_by("pk")
    for org in orgs:
        local = as_of.astimezone(ZoneInfo(org.timezone))
        if local.time() < DIGEST_AT:
            continue
        reserved += outbox.reserve(org=org, kind=NoticeLog.DIGEST, day=local.date(),
                                   created_at=as_of) is not None
    return reserved


def announce_schedule(schedule_id: int, *, as_of: datetime) -> str:
    """Announce a just-activated schedule's first invoice to the customer (once)."""
    activation = (ScheduleChange.objects.filter(schedule_id=schedule_id, kind="activated")
                  .select_related("schedule").order_by("-at", "-pk").first())
    if activation is None or activation.data.get("first_index") is None:
        return "nothing"
    schedule = activation.schedule
    index = int(activation.data["first_index"])
    # The cycle named at activation, not the cursor: the issuer may already have issued it.
    occurrence = calendar_of(schedule).at(index)
    row = outbox.reserve(org_id=schedule.org_id, schedule=schedule, kind=NoticeLog.ANNOUNCEMENT, index=index,
                         period_key=occurrence.period.key, created_at=as_of)
    if row is None:
        return "duplicate"
    return send_notice(row, as_of=as_of)


def send_notice(row: NoticeLog, *, as_of: datetime) -> str:
    """Claim, compose, send, mark. Returns "sent", "skipped", "failed", "retry" or "busy"."""
    if not outbox.claim(row, as_of=as_of):
        return "busy"  # another worker has it, or it is done
    composed = compose(row, as_of=as_of)
    if composed.message is None:
        outbox.finish(row, NoticeLog.SKIPPED, as_of=as_of, detail=composed.skip)
        return "skipped"
    try:
        composed.message.send()
    except smtplib.SMTPResponseException as exc:
        outbox.release(row, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500)
        return "failed" if row.status == NoticeLog.FAILED else "retry"
    except (OSError, smtplib.SMTPException) as exc:
        outbox.release(row, str(exc), permanent=False)
        return "failed" if row.status == NoticeLog.FAILED else "retry"
    outbox.finish(row, NoticeLog.SENT, as_of=as_of, recipients=composed.recipients, detail=composed.note)
    return "sent"
