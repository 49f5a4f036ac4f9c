"""Poison work is held, not retried forever (issue 14 §1).

A job that fails with an unexpected error (a bug, data no rule foresaw) is retried by Huey and
re-queued by the sweeper. One invoice that fails every time would be retried forever and, in
a sweeper that takes a bounded batch, could starve the recovery of others. So every unexpected
failure is counted on the invoice, and at MAX_JOB_FAILURES it leaves automatic recovery:

- a draft is held (draft → held) with a Spanish reason; "Reintentar" sends it again once fixed;
- a sealed invoice keeps its signed XML (its PAC outcome may be unknown, so it is never re-sealed
  here) and a stamped one its UUID: each gets the reason in hold_code/hold_message and on its
  timeline, and the sweeper skips it until a person acts.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError
from django.db.models import F

from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import Problem
from timbra.invoicing.models import Invoice
from timbra.invoicing.seal import hold_invoice
from timbra.invoicing.transitions import record

log = logging.getLogger(__name__)

MAX_JOB_FAILURES = 5
POISON_CODE = "error_inesperado_repetido"


def note_job_failure(invoice_id: int, exc: BaseException, *, job: str, as_of: datetime) -> Invoice | None:
    """Count one unexpected failure of `job` on the invoice; at the limit, take it out of automatic
    retries with a reason. Returns the invoice (None if it no longer exists, or if the database
    itself is failing: then the count waits, and the job's own error is the one that matters)."""
    try:
        return _note(invoice_id, exc, job=job, as_of=as_of)
    except DatabaseError:
        log.exception("could not count the failure of %s on invoice %s", job, invoice_id)
        return None


def _note(invoice_id: int, exc: BaseException, *, job: str, as_of: datetime) -> Invoice | None:
    updated = Invoice.objects.filter(pk=invoice_id).update(job_failures=F("job_failures") + 1)
    if not updated:
        return None
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.job_failures != MAX_JOB_FAILURES:  # exactly once, whoever counts the N-th failure
        return invoice
    reason = (f"El proceso automático falló {MAX_JOB_FAILURES} veces con un error inesperado "
              f"({type(exc).__name__}); se detuvo para que alguien la revise. Corrige los datos y "
              "reintenta; si persiste, avísanos.")
    log.error("invoice %s held after %s unexpected failures of %s", invoice_id, MAX_JOB_FAILURES, job)
    if invoice.status == InvoiceStatus.DRAFT:
        return hold_invoice(invoice, [Problem(POISON_CODE, "", reason)], as_of=as_of)
    Invoice.objects.filter(pk=invoice_id).update(hold_code=POISON_CODE, hold_message=reason)
    record(invoice, "job_poisoned", as_of=as_of, message=reason, data={"job": job})
    invoice.refresh_from_db()
    return invoice
