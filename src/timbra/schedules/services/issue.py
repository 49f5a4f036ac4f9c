"""Issue the invoices schedules owe: exactly one per schedule and period, none missed.

The protocol for each owed cycle (reference/reliability.md F14/F15, Lago's lesson):
1. `create_invoice` with the business key source="schedule", source_id="<schedule>:<period key>".
   The unique constraint on (org, source, source_id) is THE guarantee: a second scheduler, a
   job run twice or a re-run after a crash gets the existing invoice back, never a second one.
2. In one short transaction: the `ScheduleRun` row (unique per cycle; losing that race is
   success, not an error) with its history row, and the cursor moved past the cycle
   (`UPDATE … WHERE next_index < new`: monotonic, so racing runners never move it back).
A crash between 1 and 2 leaves an invoice without its run: the next pass finds the cycle still
owed, gets the same invoice back from step 1, and finishes step 2. The cursor is the truth the
next pass starts from; the periodic job is its own sweeper.

Fecha and the 72-hour window (issue 4: "after downtime, missed periods are issued once each,
dated within the SAT's 72-hour window or held with a clear reason if that window has passed").
The CFDI's Fecha is the moment the comprobante is generated (Anexo 20; CFDI40101: local time
at the place of issue), not the service period, and the PAC only requires it within 72 h
before stamping (rule 401). The pipeline stamps Fecha when it seals (invoicing.seal), so every
invoice is dated "now" and inside the window by construction; a late cycle's *period* is named
in its description. There is therefore nothing to hold for: we issue each missed period once,
late, and record in the schedule's history how late and why the Fecha is today. (Backdating
Fecha to the period's date would be the actual violation once 72 h have passed.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import long_date
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.schedules.calendar import calendar_of, finish_at, next_issuable, wake_at
from timbra.schedules.lines import invoice_request
from timbra.schedules.models import Schedule, ScheduleRun
from timbra.schedules.services.changes import describe, record

log = logging.getLogger(__name__)

BATCH = 500
LATE_AFTER = timedelta(hours=1)  # the job runs every 5 minutes; more than this is a downtime
SAT_WINDOW = timedelta(hours=72)  # PAC rule 401: Fecha at most 72 h before stamping


@dataclass
class IssueReport:
    """What one pass did. `issued` counts cycles recorded by this pass (a cycle another runner
    recorded first is not counted twice)."""

    schedules: int = 0
    issued: int = 0
    finished: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def issue_due_invoices(*, as_of: datetime, schedule_ids: Iterable[int] | None = None) -> IssueReport:
    """Issue every cycle due at or before `as_of` that is not issued yet (all schedules, or
    `schedule_ids`), oldest first; mark finished schedules ended. Idempotent."""
    report = IssueReport()
    for batch in _due_batches(as_of, schedule_ids):
        for schedule in batch:
            report.schedules += 1
            try:
                _issue(schedule, as_of=as_of, report=report)
            except Exception as exc:  # one broken schedule must not stop the others; retried next pass
                log.exception("issuing schedule %s failed", schedule.pk)
                report.failed[schedule.pk] = repr(exc)
    return report


def issue_schedule(schedule_id: int, *, as_of: datetime) -> IssueReport:
    """Issue what one schedule owes now (on demand, e.g. right after activation)."""
    return issue_due_invoices(as_of=as_of, schedule_ids=[schedule_id])


def _due_batches(as_of: datetime, schedule_ids: Iterable[int] | None) -> Iterator[list[Schedule]]:
    rows = (Schedule.objects.filter(status__in=(Schedule.ACTIVE, Schedule.PAUSED), next_due_at__lte=as_of)
            .select_related("org", "customer", "plan").order_by("pk"))
    if schedule_ids is not None:
        rows = rows.filter(pk__in=list(schedule_ids))
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH]):
        yield batch
        last = batch[-1].pk


def _issue(schedule: Schedule, *, as_of: datetime, report: IssueReport) -> None:
    calendar = calendar_of(schedule)
    owed = calendar.missed(as_of, schedule.next_index - 1 if schedule.next_index > 0 else None)
    # Past every cycle due by now, issued or not (skipped, paused, past the end).
    target = max(schedule.next_index, calendar.first_index_due_after(as_of))
    for position, occurrence in enumerate(owed):
        try:
            invoice = create_invoice(schedule.org, invoice_request(schedule, occurrence),
                                     livemode=schedule.livemode, as_of=as_of, actor=f"programación {schedule.pk}")
        except InvoicingError as exc:
            _failed(schedule, occurrence, exc, as_of=as_of)
            report.failed[schedule.pk] = exc.message
            return  # the cursor stays on this cycle: it goes out (late) once the data is fixed
        with transaction.atomic():
            report.issued += _record_run(schedule, occurrence, invoice, as_of=as_of)
            if position < len(owed) - 1:
                _move_cursor(schedule, occurrence.index + 1)
            else:
                report.finished += _advance(schedule, calendar, target, as_of=as_of)
    if not owed:
        with transaction.atomic():
            report.finished += _advance(schedule, calendar, target, as_of=as_of)


def _record_run(schedule: Schedule, occurrence: sd.Occurrence, invoice: Invoice, *, as_of: datetime) -> int:
    """1 if this pass recorded the cycle, 0 if another runner already had."""
    try:
        with transaction.atomic():
            ScheduleRun.objects.create(
                schedule=schedule, index=occurrence.index, period_key=occurrence.period.key,
                period_label=occurrence.period.label[:200],
                period_start=occurrence.period.start_date, period_end=occurrence.period.end_date,
                due_at=occurrence.due_at, invoice=invoice, issued_at=as_of,
            )
    except IntegrityError:
        return 0
    late = as_of - occurrence.due_at
    kind, message = "issued", f"Factura {invoice.serie_folio} emitida para {describe(occurrence)}."
    if late > SAT_WINDOW:
        kind, message = "issued_late", (
            f"Factura {invoice.serie_folio} emitida para {describe(occurrence)} con {duration(late)} de retraso "
            f"(se debía emitir el {long_date(occurrence.local_date)}). Su fecha de expedición es la de hoy: el "
            "SAT pide que la Fecha del CFDI sea cuando se genera y que se timbre dentro de las 72 horas "
            "siguientes; el periodo facturado va en la descripción."
        )
    elif late > LATE_AFTER:
        message = f"{message[:-1]}, con {duration(late)} de retraso."
    record(schedule, kind=kind, message=message, as_of=as_of, actor="sistema",
           data={"index": occurrence.index, "period_key": occurrence.period.key, "invoice_id": invoice.pk,
                 "late_seconds": int(late.total_seconds())})
    return 1


def _move_cursor(schedule: Schedule, target: int) -> None:
    Schedule.objects.filter(pk=schedule.pk, next_index__lt=target).update(next_index=target)
    schedule.next_index = max(schedule.next_index, target)


def _advance(schedule: Schedule, calendar: sd.Schedule, target: int, *, as_of: datetime) -> int:
    """Move the cursor to `target`, then either finish the schedule (its last period is over)
    or set when to look at it next. Both only if nobody changed the schedule since we read it
    (`revision`): otherwise that change already computed its own wake-up."""
    _move_cursor(schedule, target)
    same = Schedule.objects.filter(pk=schedule.pk, revision=schedule.revision)
    ends = finish_at(calendar)
    if (schedule.status == Schedule.ACTIVE and ends is not None and ends <= as_of
            and next_issuable(calendar, schedule.next_index) is None):
        status = Schedule.CANCELLED if schedule.cancel_at_period_end else Schedule.ENDED
        if same.filter(status=Schedule.ACTIVE).update(status=status, finished_at=as_of, next_due_at=None,
                                                      last_error="", revision=F("revision") + 1, updated_at=as_of):
            word = "Cancelada" if status == Schedule.CANCELLED else "Terminada"
            record(schedule, kind=status, as_of=as_of,
                   message=f"{word}: terminó su último periodo; no se emiten más facturas.")
            return 1
        return 0
    same.update(next_due_at=wake_at(schedule, calendar), last_error="")
    return 0


def _failed(schedule: Schedule, occurrence: sd.Occurrence, exc: InvoicingError, *, as_of: datetime) -> None:
    """Record why a cycle could not be issued, once per distinct reason (the job retries every pass)."""
    message = (f"No se pudo emitir la factura de {describe(occurrence)}: {exc.message} Se reintenta "
               "automáticamente; sale en cuanto se corrija.")
    if schedule.last_error == message:
        return
    with transaction.atomic():
        Schedule.objects.filter(pk=schedule.pk).update(last_error=message)
        record(schedule, kind="issue_failed", message=message, as_of=as_of,
               data={"index": occurrence.index, "code": exc.code})


def duration(span: timedelta) -> str:
    """ "3 días y 4 horas", "5 horas", "45 minutos" (es-MX)."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} día{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} hora{'s' if hours != 1 else ''}")
    if not parts:
        return f"{minutes} minuto{'s' if minutes != 1 else ''}"
    return " y ".join(parts)
