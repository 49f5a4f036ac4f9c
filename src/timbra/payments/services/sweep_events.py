"""Re-queue inbox events whose processing job was lost.

Huey deletes a task when a worker takes it, so a worker killed mid-task loses the job but
never the event: it stays "received" (or "failed" after an error whose retries ran out)
in the inbox, and the gateway will not redeliver what it got a 2xx for. This finds them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from timbra import jobs
from timbra.payments.models import WebhookEvent

STALE_AFTER = timedelta(minutes=2)  # same patience as invoicing.sweep
FAILED_RETRY_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 5  # then a person re-processes it from the events page
BATCH = 500


def requeue_stuck_events(*, as_of: datetime) -> int:
    """Queue again events received but never processed, and failed ones now and then."""
    stuck = (
        WebhookEvent.objects.filter(
            Q(status=WebhookEvent.RECEIVED, received_at__lte=as_of - STALE_AFTER)
            | Q(
                status=WebhookEvent.FAILED,
                processed_at__lte=as_of - FAILED_RETRY_AFTER,
                attempts__lt=MAX_ATTEMPTS,
            )
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    ids = list(stuck)
    for event_id in ids:
        jobs.enqueue("payments.process_event", event_id=event_id)
    return len(ids)
