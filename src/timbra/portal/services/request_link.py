"""The business's public portal page: a person types their email and gets their link by email.

The answer on the page is the same whether the email belongs to a customer or not (no
enumeration): the work happens in the outbox, which sends a link to each customer of that org
with the email and to each of its payments waiting for fiscal data, or nothing at all.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra import jobs
from timbra.notices import outbox
from timbra.notices.models import NoticeLog
from timbra.orgs.models import Org
from timbra.portal import audit
from timbra.portal.models import PortalEvent


def request_link(org: Org, email: str, *, as_of: datetime) -> None:
    """Queue the "here is your link" email to `email` (sent only if it names someone)."""
    email = email.strip()
    with transaction.atomic():
        row = outbox.reserve(org=org, kind=NoticeLog.PORTAL_LINK, recipients=[email], created_at=as_of)
        audit.record(org, PortalEvent.LINK_REQUESTED, actor="visitante (portal)", as_of=as_of)
        if row is not None:
            jobs.enqueue_on_commit("portal.send_notice", notice_id=row.pk)
