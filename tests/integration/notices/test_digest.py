"""The business's daily digest of what the schedules issue in the next 7 days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from tests.factories import make_customer
from tests.integration.notices.conftest import notices, run_jobs
from tests.integration.schedules.conftest import at, explicit_line, make_schedule
from timbra.notices.models import NoticeLog

pytestmark = pytest.mark.django_db

DIGEST = "programada"


def test_the_digest_goes_out_once_a_day_at_seven_with_the_next_seven_days(org, customer):
    # given one schedule due Nov 25 and another due Dec 10
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 11, 25),
                  lines=(explicit_line("Hosting {periodo}", "2000.00"),))
    make_schedule(org, make_customer(org, rfc="EWE1709045U0"), as_of=at(2026, 11, 20, 10),
                  anchor_date=date(2026, 12, 10))
    mail.outbox.clear()
    # when the job runs every 15 minutes for two days
    run_jobs(at(2026, 11, 21), at(2026, 11, 22, 23, 45))
    # then one digest a day, at 07:00, to the org, listing only the invoice due within 7 days
    digests = notices(DIGEST)
    assert len(digests) == 2
    rows = NoticeLog.objects.filter(kind=NoticeLog.DIGEST).order_by("day")
    assert [(r.day, r.sent_at) for r in rows] == [(date(2026, 11, 21), at(2026, 11, 21, 7)),
                                                   (date(2026, 11, 22), at(2026, 11, 22, 7))]
    first = digests[0]
    assert first.to == ["facturacion@kemper.example"] and first.subject.startswith("1 factura programada")
    assert "25/11/2026" in first.body and "UNIVERSIDAD ROBOTICA ESPAÑOLA" in first.body
    assert "2,320.00" in first.body and "EDGAR WALDO ERDMANN" not in first.body
    assert "MODO PRUEBAS" in first.body


def test_the_digest_follows_the_orgs_time_zone(org, customer):
    org.timezone = "America/Tijuana"
    org.save()
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 11, 25))
    mail.outbox.clear()

    run_jobs(at(2026, 11, 21, 6), at(2026, 11, 21, 12))

    row = NoticeLog.objects.get(kind=NoticeLog.DIGEST)
    assert row.sent_at == at(2026, 11, 21, 9)  # 07:00 in Tijuana (PST) is 09:00 in Mexico City


def test_no_digest_when_nothing_is_due_within_seven_days(org, customer):
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 20),
                  start_date=date(2026, 12, 20))
    mail.outbox.clear()

    run_jobs(at(2026, 11, 21, 6), at(2026, 11, 21, 12))
    run_jobs(at(2026, 11, 21, 12), at(2026, 11, 21, 23), step=timedelta(hours=1))

    assert notices(DIGEST) == []
    row = NoticeLog.objects.get(kind=NoticeLog.DIGEST)  # decided once for the day, not every 15 minutes
    assert row.status == NoticeLog.SKIPPED and row.day == date(2026, 11, 21)
