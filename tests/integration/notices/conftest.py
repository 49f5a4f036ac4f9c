"""Notices fixtures: step the notices job (and the issuer) through time."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core import mail
from pypdf import PdfReader

from tests.integration.schedules.conftest import instants
from timbra.notices.services import send_due_notices
from timbra.schedules.services.issue import issue_due_invoices

QUARTER_HOUR = timedelta(minutes=15)


def run_jobs(start: datetime, end: datetime, *, step: timedelta = QUARTER_HOUR, issue: bool = False) -> None:
    """Run the notices job (and the issuer if asked) every `step`, like the real cron."""
    for moment in instants(start, end, step):
        if issue:
            issue_due_invoices(as_of=moment)
        send_due_notices(as_of=moment)


def notices(kind_word: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if kind_word in m.subject]


def pdf_text(message: mail.EmailMessage) -> str:
    (pdf,) = [content for _, content, mimetype in message.attachments if mimetype == "application/pdf"]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def subjects(messages: Iterable[mail.EmailMessage]) -> list[str]:
    return [m.subject for m in messages]
