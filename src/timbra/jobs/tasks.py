"""Thin Huey jobs: each takes ids, reads the clock once, and calls one service."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

log = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=10, name="invoicing.process")
def process_invoice_job(invoice_id: int) -> None:
    """Seal and stamp one invoice (no-op when it is already further along)."""
    from timbra.invoicing.process import process_invoice

    with _counted_failures("invoicing.process", invoice_id):
        process_invoice(invoice_id, as_of=timezone.now())


@db_task(retries=3, retry_delay=30, name="invoicing.cancel")
def advance_cancellation_job(invoice_id: int) -> None:
    """File one cancellation with the PAC and follow the SAT until it decides (issue 11); also starts
    the motive-01 cancellation of an original whose substitute got stamped."""
    from timbra.invoicing.cancel_progress import advance_cancellation

    advance_cancellation(invoice_id, as_of=timezone.now())


@db_task(retries=3, retry_delay=60, name="delivery.cancellation")
def notify_cancellation_job(invoice_id: int) -> None:
    """Email the customer the acknowledgement of a CFDI the SAT cancelled (once)."""
    from timbra.delivery.cancellation import notify_cancellation

    notify_cancellation(invoice_id, as_of=timezone.now())


@db_periodic_task(crontab(minute="30", hour="3"), name="invoicing.sat_status")
def check_recent_sat_status_job() -> None:
    """Nightly: ask the SAT status service about recently stamped CFDIs (a cancellation made outside
    Timbra, e.g. on the SAT portal, shows up here)."""
    from timbra.invoicing.sat_check import check_recent

    checked = check_recent(as_of=timezone.now())
    if checked:
        log.info("SAT status checked for %s CFDIs", checked)


@db_task(retries=3, retry_delay=30, name="delivery.send")
def deliver_invoice_job(invoice_id: int) -> None:
    """Render the PDF and send the email of one stamped invoice."""
    from timbra.delivery.services import deliver_invoice

    with _counted_failures("delivery.send", invoice_id):
        deliver_invoice(invoice_id, as_of=timezone.now())


@contextmanager
def _counted_failures(job: str, invoice_id: int) -> Iterator[None]:
    """Count an unexpected failure on the invoice (poison work is held, issue 14 §1), then
    re-raise so Huey's retries still run."""
    try:
        yield
    except Exception as exc:
        from timbra.invoicing.poison import note_job_failure

        note_job_failure(invoice_id, exc, job=job, as_of=timezone.now())
        raise


@db_task(retries=3, retry_delay=10, name="payments.process_event")
def process_payment_event_job(event_id: int) -> None:
    """Turn one stored gateway webhook event into its payment and invoice (idempotent)."""
    from timbra.payments.services.process_event import process_event

    process_event(event_id, as_of=timezone.now())


@db_periodic_task(crontab(minute="*"), name="invoicing.sweep")
def sweep_job() -> None:
    """Every minute: re-enqueue work whose job was lost (invoices and gateway events)."""
    from timbra.invoicing.sweep import sweep_stuck_work
    from timbra.payments.services.refunds import requeue_ready_refunds
    from timbra.payments.services.sweep_events import requeue_stuck_events

    counts = sweep_stuck_work(as_of=timezone.now())
    counts["webhook_events"] = requeue_stuck_events(as_of=timezone.now())
    counts["refunds"] = requeue_ready_refunds(as_of=timezone.now())  # their CFDI got stamped
    if any(counts.values()):
        log.info("sweeper re-enqueued %s", counts)


@db_periodic_task(crontab(minute="40"), name="payments.reconcile")
def reconcile_gateways_job() -> None:
    """Every hour: ask each connected gateway for recent events and store the ones whose
    webhook never arrived (they are processed like any other)."""
    from timbra.payments.services.reconcile import reconcile_all

    reports = reconcile_all(as_of=timezone.now())
    if any(r.recovered or r.error for r in reports.values()):
        log.info("reconciler: %s", reports)


@db_task(retries=3, retry_delay=30, name="schedules.issue")
def issue_schedule_job(schedule_id: int | None = None) -> None:
    """On demand: issue what one schedule (or, without an id, every schedule) owes now."""
    from timbra.schedules.services.issue import issue_due_invoices

    issue_due_invoices(as_of=timezone.now(), schedule_ids=None if schedule_id is None else [schedule_id])


@db_periodic_task(crontab(minute="*/5"), name="schedules.issue_due")
def issue_due_job() -> None:
    """Every 5 minutes: issue every due schedule period (idempotent; it is its own sweeper),
    then tell businesses about schedule invoices held by the pre-stamp check."""
    from timbra.schedules.services.issue import issue_due_invoices
    from timbra.schedules.services.notify_held import notify_held_invoices

    report = issue_due_invoices(as_of=timezone.now())
    if report.issued or report.failed:
        log.info("schedules: %s issued, %s failed", report.issued, len(report.failed))
    notify_held_invoices(as_of=timezone.now())


@db_periodic_task(crontab(minute="0", hour="*/6"), name="orgs.csd_expiry")
def csd_expiry_job() -> None:
    """Four times a day: warn orgs whose CSD expires soon."""
    from timbra.orgs.expiry import warn_expiring_csds

    warn_expiring_csds(as_of=timezone.now())


@db_periodic_task(crontab(minute="20"), name="receivables.rep_alerts")
def rep_alerts_job() -> None:
    """Every hour (a daily email per org from 8:00 its time, deduplicated per payment and day):
    warn orgs about REPs due within 2 days or overdue."""
    from timbra.receivables.services.alert_due_reps import alert_due_reps

    alert_due_reps(as_of=timezone.now())


@db_task(retries=3, retry_delay=60, name="notices.announce")
def announce_schedule_job(schedule_id: int) -> None:
    """Email the customer the first invoice of a just-activated schedule (once)."""
    from timbra.notices.services import announce_schedule

    announce_schedule(schedule_id, as_of=timezone.now())


@db_periodic_task(crontab(minute="*/15"), name="notices.send_due")
def send_due_notices_job() -> None:
    """Every 15 minutes: customer previews N days before each scheduled invoice and the
    businesses' daily digest (from 07:00 their time); each notice once (outbox rows)."""
    from timbra.notices.services import send_due_notices

    send_due_notices(as_of=timezone.now())


@db_periodic_task(crontab(minute="*/5"), name="globalinvoice.issue_due")
def issue_due_global_invoices_job() -> None:
    """Every 5 minutes: the factura global of every period that has closed (SAT: within 24 h
    of the close), for the receipts nobody claimed. Idempotent: it is its own sweeper."""
    from timbra.globalinvoice.services.issue import issue_due_global_invoices
    from timbra.globalinvoice.services.rate_limit import forget_before

    issued = issue_due_global_invoices(as_of=timezone.now())
    forget_before(timezone.now())  # the autofactura page's old rate-limit windows
    if issued:
        log.info("global invoices issued: %s", issued)


@db_task(retries=3, retry_delay=10, name="portal.release")
def release_waiting_job(customer_id: int) -> None:
    """Invoice what waited for a customer's fiscal data (saved on the portal or by staff)."""
    from timbra.portal.services.release import release_waiting

    release_waiting(customer_id, as_of=timezone.now())


@db_task(retries=3, retry_delay=60, name="portal.request_fiscal_data")
def request_fiscal_data_job(payment_id: int) -> None:
    """Email the payer of a payment waiting for fiscal data their portal link (once)."""
    from timbra.portal.services.chase import request_fiscal_data

    request_fiscal_data(payment_id, as_of=timezone.now())


@db_task(retries=3, retry_delay=60, name="portal.send_notice")
def send_portal_notice_job(notice_id: int) -> None:
    """Send one portal email of the outbox now (a link a person asked for)."""
    from timbra.notices.models import NoticeLog
    from timbra.notices.services import send_notice

    row = NoticeLog.objects.filter(pk=notice_id).first()
    if row is not None:
        send_notice(row, as_of=timezone.now())


@db_periodic_task(crontab(minute="*/15"), name="portal.chase")
def chase_job() -> None:
    """Every 15 minutes: reminders to customers whose payments still wait for fiscal data, on
    each org's schedule, until the data arrives or the charge goes to the global invoice."""
    from timbra.portal.services.chase import send_due_reminders

    send_due_reminders(as_of=timezone.now())


REGISTRY: dict[str, Any] = {
    "invoicing.process": process_invoice_job,
    "delivery.send": deliver_invoice_job,
    "invoicing.cancel": advance_cancellation_job,
    "delivery.cancellation": notify_cancellation_job,
    "invoicing.sat_status": check_recent_sat_status_job,
    "payments.process_event": process_payment_event_job,
    "invoicing.sweep": sweep_job,
    "payments.reconcile": reconcile_gateways_job,
    "orgs.csd_expiry": csd_expiry_job,
    "schedules.issue": issue_schedule_job,
    "schedules.issue_due": issue_due_job,
    "receivables.rep_alerts": rep_alerts_job,
    "notices.announce": announce_schedule_job,
    "notices.send_due": send_due_notices_job,
    "globalinvoice.issue_due": issue_due_global_invoices_job,
    "portal.release": release_waiting_job,
    "portal.request_fiscal_data": request_fiscal_data_job,
    "portal.send_notice": send_portal_notice_job,
    "portal.chase": chase_job,
}
