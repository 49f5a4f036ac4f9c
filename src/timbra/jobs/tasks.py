"""Thin Huey jobs: each takes ids, reads the clock once, and calls one service."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=10, name="invoicing.process")
def process_invoice_job(invoice_id: int) -> None:
    """Seal and stamp one invoice (no-op when it is already further along)."""
    from timbra.invoicing.process import process_invoice

    process_invoice(invoice_id, as_of=timezone.now())


@db_task(retries=3, retry_delay=30, name="delivery.send")
def deliver_invoice_job(invoice_id: int) -> None:
    """Render the PDF and send the email of one stamped invoice."""
    from timbra.delivery.services import deliver_invoice

    deliver_invoice(invoice_id, as_of=timezone.now())


@db_periodic_task(crontab(minute="*"), name="invoicing.sweep")
def sweep_job() -> None:
    """Every minute: re-enqueue work whose job was lost."""
    from timbra.invoicing.sweep import sweep_stuck_work

    counts = sweep_stuck_work(as_of=timezone.now())
    if any(counts.values()):
        log.info("sweeper re-enqueued %s", counts)


@db_periodic_task(crontab(minute="0", hour="*/6"), name="orgs.csd_expiry")
def csd_expiry_job() -> None:
    """Four times a day: warn orgs whose CSD expires soon."""
    from timbra.orgs.expiry import warn_expiring_csds

    warn_expiring_csds(as_of=timezone.now())


REGISTRY: dict[str, Any] = {
    "invoicing.process": process_invoice_job,
    "delivery.send": deliver_invoice_job,
    "invoicing.sweep": sweep_job,
    "orgs.csd_expiry": csd_expiry_job,
}
