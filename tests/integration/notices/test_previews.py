"""Customer previews N days before each scheduled invoice, and the activation announcement."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from lxml import etree

from tests.integration.notices.conftest import notices, pdf_text, run_jobs
from tests.integration.schedules.conftest import at, explicit_line, make_schedule
from timbra.invoicing.models import Invoice
from timbra.notices.models import NoticeLog
from timbra.notices.preview_document import build_preview
from timbra.notices.services import send_due_notices
from timbra.sandbox.models import SandboxStamp
from timbra.schedules.calendar import calendar_of
from timbra.schedules.services.issue import issue_due_invoices

pytestmark = pytest.mark.django_db


def test_the_preview_goes_out_exactly_notice_days_before_the_invoice(org, customer):
    # given a monthly schedule on the 10th with 3 days' notice (issue time 06:00 CDMX)
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10),
                             notice_days=3)
    mail.outbox.clear()
    # when the job runs every 15 minutes from Jan 5 to the invoice's date
    run_jobs(at(2027, 1, 5), at(2027, 1, 10, 5, 45))
    # then one preview, for January, sent on Jan 7 at 06:00 and not a minute before
    (message,) = notices("Vista previa")
    row = NoticeLog.objects.get(kind=NoticeLog.PREVIEW)
    assert row.schedule == schedule and row.period_key == "2027-01" and row.status == NoticeLog.SENT
    assert row.sent_at == at(2027, 1, 7, 6)
    assert message.to == ["cliente@example.com"] and message.reply_to == ["facturacion@kemper.example"]
    assert "enero 2027" in message.subject and "10 de enero de 2027" in message.body
    assert "responde a este correo" in message.body and "URE180429TM6" in message.body


def test_the_preview_is_sent_once_even_when_the_job_runs_twice(org, customer):
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10), notice_days=3)
    mail.outbox.clear()

    for _ in range(2):
        send_due_notices(as_of=at(2027, 1, 7, 6))
    run_jobs(at(2027, 1, 7, 6), at(2027, 1, 9))

    assert len(notices("Vista previa")) == 1
    assert NoticeLog.objects.filter(kind=NoticeLog.PREVIEW).count() == 1


def test_the_preview_pdf_is_marked_and_matches_the_real_invoice(org, customer):
    # given a schedule with two lines (one with a retention) on the 10th
    lines = (explicit_line("Mantenimiento {periodo}", "1234.56"),
             replace(explicit_line("Soporte {mes}", "99.99"), taxes=("IVA16", "RET_IVA_4")))
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10),
                             lines=lines)
    mail.outbox.clear()
    # when the January preview goes out and, three days later, the invoice is issued
    run_jobs(at(2027, 1, 7, 6), at(2027, 1, 7, 6))
    (message,) = notices("Vista previa")
    issue_due_invoices(as_of=at(2027, 1, 10, 6))
    invoice = Invoice.objects.get(source_id=f"{schedule.pk}:2027-01")
    # then the PDF says VISTA PREVIA, names the period and states the invoice's real total
    text = pdf_text(message)
    assert "VISTA PREVIA" in text and "SIN VALIDEZ FISCAL" in text
    assert "enero 2027" in text
    assert f"{invoice.total:,.2f}" in text and f"{invoice.total:,.2f}" in message.body
    assert invoice.total_retenciones > 0 and invoice.total != Decimal("1160.00")


def test_the_preview_xml_is_signed_but_never_stamped_nor_sent_to_the_pac(org, customer):
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    occurrence = calendar_of(schedule).at(1)

    document = build_preview(schedule, occurrence, as_of=at(2027, 1, 7, 6))
    run_jobs(at(2027, 1, 7, 6), at(2027, 1, 7, 7))

    root = etree.fromstring(document.xml)
    assert root.get("Sello") and root.get("NoCertificado") and root.get("Total") == "1160.00"
    assert not root.xpath("//*[local-name()='TimbreFiscalDigital']")
    assert root.get("Folio") is None and root.get("MetodoPago") == "PPD" and root.get("FormaPago") == "99"
    assert re.match(r"^2027-01-10T06:00:00$", root.get("Fecha"))
    assert SandboxStamp.objects.count() == 0 and not Invoice.objects.exists()


def test_activation_announces_the_first_invoice_and_replaces_its_preview(
    org, customer, django_capture_on_commit_callbacks
):
    # given a schedule activated 2 days before its first invoice (inside the 3-day notice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the `schedule_activated` hook runs
        schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 11, 22))
    # then the customer hears about it at once, with the preview attached
    (message,) = notices("programó tu facturación")
    assert "22/11/2026" in message.subject and "noviembre 2026" in message.body
    assert "VISTA PREVIA" in pdf_text(message)
    row = NoticeLog.objects.get(kind=NoticeLog.ANNOUNCEMENT)
    assert row.schedule == schedule and row.period_key == "2026-11" and row.status == NoticeLog.SENT
    # and the regular preview of that same invoice is not sent on top of it
    run_jobs(at(2026, 11, 20, 10), at(2026, 11, 22, 5))
    assert notices("Vista previa") == []


def test_a_skipped_or_paused_cycle_gets_no_preview(org, customer):
    from timbra.schedules.services.pause import pause
    from timbra.schedules.services.skip import skip_next

    skipped = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    paused = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    run_jobs(at(2026, 12, 10, 6), at(2026, 12, 10, 6), issue=True)
    skip_next(skipped, actor="pruebas", as_of=at(2026, 12, 11))
    pause(paused, actor="pruebas", as_of=at(2026, 12, 11))
    mail.outbox.clear()

    run_jobs(at(2027, 1, 6), at(2027, 1, 9), step=timedelta(hours=1))

    assert notices("Vista previa") == []


def test_no_preview_when_notice_days_is_zero_or_the_customer_has_no_email(org):
    from tests.factories import make_customer

    silent = make_customer(org, emails=[])
    make_schedule(org, silent, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10))
    make_schedule(org, make_customer(org, rfc="EWE1709045U0"), as_of=at(2026, 11, 20, 10),
                  anchor_date=date(2026, 12, 10), notice_days=0)
    mail.outbox.clear()

    run_jobs(at(2027, 1, 6), at(2027, 1, 9), step=timedelta(hours=1))

    assert notices("Vista previa") == []
    row = NoticeLog.objects.get(kind=NoticeLog.PREVIEW)
    assert row.status == NoticeLog.SKIPPED and "no tiene correo" in row.detail
