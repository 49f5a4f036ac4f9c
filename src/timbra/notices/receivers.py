"""Reactions to schedule events. They only enqueue: they run inside the activating request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from timbra import jobs
from timbra.schedules.models import Schedule
from timbra.schedules.signals import schedule_activated


@receiver(schedule_activated, dispatch_uid="notices.announce_first_invoice")
def announce_first_invoice(sender: Any, *, schedule: Schedule, as_of: datetime, **kwargs: Any) -> None:
    """Billtonic's "tell the client first": the first invoice is announced at activation."""
    jobs.enqueue("notices.announce", schedule_id=schedule.pk)
