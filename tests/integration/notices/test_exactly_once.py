"""Each notice once: two workers at the same instant, a crash mid-send, a repeated activation."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from tests.concurrency import race as shared_race
from tests.integration.notices.conftest import notices
from tests.integration.schedules.conftest import at, make_schedule
from timbra.notices import outbox
from timbra.notices.models import NoticeLog
from timbra.notices.services import announce_schedule, send_due_notices


def race(target, n: int = 2) -> list[BaseException]:
    return shared_race(*[target] * n)[1]

@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_instant_send_each_notice_once(org, customer):
    # given three schedules whose January preview is due on Jan 7 at 06:00
    for _ in range(3):
        make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    mail.outbox.clear()
    # when two workers run the job at the same instant
    errors = race(lambda: send_due_notices(as_of=at(2027, 1, 7, 7)))
    # then three previews and one digest, each once
    assert errors == []
    assert len(notices("Vista previa")) == 3 and len(notices("programada")) == 1
    sent = NoticeLog.objects.filter(status=NoticeLog.SENT).exclude(kind=NoticeLog.ANNOUNCEMENT)
    assert sent.count() == 4


@pytest.mark.django_db
def test_a_worker_that_died_mid_send_is_covered_after_the_lease(org, customer):
    # given a preview row claimed by a worker that crashed before sending
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    mail.outbox.clear()
    send_due_notices(as_of=at(2027, 1, 7, 6))
    row = NoticeLog.objects.get(kind=NoticeLog.PREVIEW)
    NoticeLog.objects.filter(pk=row.pk).update(status=NoticeLog.PENDING, sent_at=None, claimed_at=at(2027, 1, 7, 6))
    mail.outbox.clear()
    # when the job runs inside the lease, and after it
    send_due_notices(as_of=at(2027, 1, 7, 6, 5))
    assert notices("Vista previa") == []
    send_due_notices(as_of=at(2027, 1, 7, 6) + outbox.LEASE)
    # then it is sent again (at-least-once), once
    assert len(notices("Vista previa")) == 1
    assert NoticeLog.objects.get(pk=row.pk).attempts == 2


@pytest.mark.django_db
def test_the_announcement_is_sent_once_even_if_the_hook_fires_twice(org, customer):
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    mail.outbox.clear()

    results = [announce_schedule(schedule.pk, as_of=at(2026, 11, 20, 10)) for _ in range(2)]

    assert results == ["sent", "duplicate"]
    assert len(notices("programó tu facturación")) == 1
