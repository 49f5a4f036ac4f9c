"""The sweeper: find work a lost or crashed job left behind and queue it again.

Huey deletes a task when a worker takes it (reference/architecture.md §1.3), so a worker
killed mid-task loses the task, never the invoice: its state is in the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from timbra import jobs
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.invoicing.poison import MAX_JOB_FAILURES
from timbra.invoicing.substitute import pending_substitutions

# A draft or sealed invoice untouched for this long has lost its job.
STALE_AFTER = timedelta(minutes=2)
BATCH = 500


def sweep_stuck_work(*, as_of: datetime) -> dict[str, int]:
    """Re-enqueue invoices stuck in draft/sealed/stamped; return how many of each.

    Oldest first, and never an invoice whose jobs failed MAX_JOB_FAILURES times (poison.py holds
    it with a reason): a bad row leaves the batch, so it cannot starve the others (issue 14 §1)."""
    stale = as_of - STALE_AFTER
    candidates = Invoice.objects.filter(status_changed_at__lte=stale, job_failures__lt=MAX_JOB_FAILURES)
    drafts = list(
        candidates.filter(status=InvoiceStatus.DRAFT)
        .order_by("status_changed_at").values_list("pk", flat=True)[:BATCH]
    )
    sealed = list(
        candidates.filter(status=InvoiceStatus.SEALED)
        .filter(Q(next_attempt_at__lte=as_of) | Q(next_attempt_at__isnull=True))
        .order_by("status_changed_at").values_list("pk", flat=True)[:BATCH]
    )
    stamped = list(
        candidates.filter(status=InvoiceStatus.STAMPED)
        .exclude(deliveries__status=Delivery.PENDING, deliveries__next_attempt_at__gt=as_of)
        .order_by("status_changed_at").values_list("pk", flat=True)[:BATCH]
    )
    # Cancellations due for their next step (file with the PAC, ask the SAT), and originals whose
    # substitute is stamped but whose motive-01 cancellation was never asked (issue 11).
    cancelling = list(
        Invoice.objects.filter(status=InvoiceStatus.CANCELLATION_PENDING, cancellation_next_check_at__lte=as_of)
        .values_list("pk", flat=True)[:BATCH]
    )
    substituted = pending_substitutions()
    for invoice_id in drafts + sealed:
        jobs.enqueue("invoicing.process", invoice_id=invoice_id)
    for invoice_id in stamped:
        jobs.enqueue("delivery.send", invoice_id=invoice_id)
    for invoice_id in cancelling + substituted:
        jobs.enqueue("invoicing.cancel", invoice_id=invoice_id)
    return {"draft": len(drafts), "sealed": len(sealed), "stamped": len(stamped),
            "cancelling": len(cancelling), "substituted": len(substituted)}
