"""stamp_invoice: send the saved signed XML to the PAC and record what it says.

Persist, then call, then record (STYLE.md §7). A timeout is "unknown", not "failed":
the retry sends the SAME bytes (the PAC answers a repeat with the original UUID) or asks
the PAC to recover; the invoice is never re-signed while an attempt's outcome is unknown.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from timbra import jobs
from timbra.cfdi.pac import Pac, PacOutcomeUnknown, PacRejected, PacUnavailable, StampResult
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import Problem
from timbra.invoicing import pacs
from timbra.invoicing.cancel import SUBSTITUTION
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.seal import hold_invoice
from timbra.invoicing.transitions import LostRace, move, record

# PAC code for "Fecha fuera de rango" (older than 72 h or in the future).
FECHA_OUT_OF_RANGE = "401"
MAX_BACKOFF = timedelta(minutes=30)


def stamp_invoice(invoice_id: int, *, as_of: datetime) -> Invoice:
    """Stamp a sealed invoice. No-op unless sealed; safe to run twice or concurrently."""
    return stamp(Invoice.objects.select_related("org", "customer").get(pk=invoice_id), as_of=as_of).invoice


@dataclass(frozen=True)
class StampOutcome:
    """The invoice after a stamp attempt and, for the worker that won the sealed → stamped
    swap, what it knows without reading it back: the stamped bytes and the delivery rows it
    created already claimed (delivery.services.plan_deliveries)."""

    invoice: Invoice
    stamped_xml: bytes | None = None
    deliveries: list[Delivery] = field(default_factory=list)


def stamp(invoice: Invoice, *, as_of: datetime, sealed_xml: bytes | None = None,
          attempt_counted: bool = False) -> StampOutcome:
    """`stamp_invoice` on a loaded invoice. `sealed_xml`: the bytes the caller just sealed (saves
    reading them back); `attempt_counted`: the seal's transaction already counted this attempt."""
    if invoice.status != InvoiceStatus.SEALED:
        return StampOutcome(invoice)
    try:
        # Only a live invoice needs its org (its PAC); the test-mode hot path reads nothing more.
        pac = pacs.pac_for(invoice.livemode, invoice.org if invoice.livemode else None)
    except pacs.NoLivePac as exc:
        return StampOutcome(hold_invoice(invoice, [Problem(exc.code, "pac", exc.message)], as_of=as_of))
    if sealed_xml is None:
        sealed_xml = bytes(InvoiceDocument.objects.values_list("sealed_xml", flat=True).get(invoice=invoice))
    if attempt_counted:
        earlier_attempts = invoice.stamp_attempts - 1
    else:
        earlier_attempts = invoice.stamp_attempts
        # Count the attempt before calling out, so a crash mid-call still leaves a trace
        # and the next run knows to ask the PAC for an existing stamp first.
        Invoice.objects.filter(pk=invoice.pk).update(stamp_attempts=F("stamp_attempts") + 1)
    try:
        result = _stamp_or_recover(pac, sealed_xml, earlier_attempts=earlier_attempts)
    except PacRejected as exc:
        return StampOutcome(_rejected(invoice, pac, sealed_xml, exc, as_of=as_of))
    except (PacUnavailable, PacOutcomeUnknown) as exc:
        return StampOutcome(_retry_later(invoice, exc, attempts=earlier_attempts + 1, as_of=as_of))
    return record_stamp(invoice, result, pac_name=result.pac_name or pac.name, as_of=as_of)


def _stamp_or_recover(pac: Pac, sealed_xml: bytes, *, earlier_attempts: int) -> StampResult:
    if earlier_attempts:
        recovered = pac.recover(sealed_xml)
        if recovered is not None:
            return recovered
    return pac.stamp(sealed_xml)


def record_stamp(invoice: Invoice, result: StampResult, *, pac_name: str, as_of: datetime) -> StampOutcome:
    """Store the UUID and stamped XML, and plan delivery, in one transaction."""
    from timbra.delivery.services import plan_deliveries

    try:
        with transaction.atomic():
            move(
                invoice,
                InvoiceStatus.STAMPED,
                as_of=as_of,
                kind="stamped",
                message=f"Timbrada por {pac_name}. Folio fiscal {result.uuid}."
                + (" (El PAC ya tenía este CFDI timbrado: se recuperó el mismo UUID.)" if result.already_stamped else ""),
                data={"uuid": result.uuid, "already_stamped": result.already_stamped},
                uuid=result.uuid,
                stamped_at=as_of,
                pac=pac_name,
                next_attempt_at=None,
                last_error="",
            )
            InvoiceDocument.objects.filter(invoice=invoice).update(stamped_xml=result.stamped_xml)
            deliveries = plan_deliveries(invoice, as_of=as_of, claimed=True)
            if invoice.source == SUBSTITUTION:
                # «Corregir y sustituir» (issue 11): the original is cancelled with motive 01 now
                # that its substitute has a UUID (the sweeper resumes it if this job is lost).
                jobs.enqueue_on_commit("invoicing.cancel", invoice_id=int(invoice.source_id))
    except LostRace:
        invoice.refresh_from_db()
        return StampOutcome(invoice)
    return StampOutcome(invoice, result.stamped_xml, deliveries)


def _rejected(invoice: Invoice, pac: Pac, sealed_xml: bytes, exc: PacRejected, *, as_of: datetime) -> Invoice:
    if exc.code == FECHA_OUT_OF_RANGE:
        try:
            held_nothing = pac.recover(sealed_xml) is None
        except (PacUnavailable, PacOutcomeUnknown) as unanswered:
            # A real PAC's recover can fail too: ask again later, never re-seal on a guess.
            return _retry_later(invoice, unanswered, attempts=invoice.stamp_attempts + 1, as_of=as_of)
    else:
        held_nothing = False
    if held_nothing:
        # F8: the 72-hour window passed and the PAC confirms it holds no stamp for these
        # bytes, so a new Fecha (a new seal) cannot create a second UUID.
        try:
            with transaction.atomic():
                move(invoice, InvoiceStatus.DRAFT, as_of=as_of, kind="reseal",
                     message="La fecha del CFDI quedó fuera de las 72 horas que permite el SAT; "
                     "el PAC confirmó que no lo timbró, así que se vuelve a sellar con fecha nueva.",
                     next_attempt_at=as_of)
        except LostRace:
            invoice.refresh_from_db()
            return invoice
        jobs.enqueue_on_commit("invoicing.process", invoice_id=invoice.pk)
        return invoice
    problem = Problem(exc.code, "pac", f"El PAC rechazó el CFDI ({exc.code}): {exc.message}")
    return hold_invoice(invoice, [problem], as_of=as_of, actor=pac.name)


def _retry_later(invoice: Invoice, exc: Exception, *, attempts: int, as_of: datetime) -> Invoice:
    delay = backoff(attempts)
    unknown = isinstance(exc, PacOutcomeUnknown)
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.SEALED).update(
        next_attempt_at=as_of + delay, last_error=str(exc)[:2000]
    )
    record(invoice, "stamp_retry", as_of=as_of,
           message=("El PAC no respondió a tiempo; se reintentará con el mismo XML sellado"
                    if unknown else "El PAC no está disponible; se reintentará")
           + f" en {int(delay.total_seconds())} s (intento {attempts}).",
           data={"error": str(exc)[:500], "outcome_unknown": unknown})
    jobs.enqueue("invoicing.process", invoice_id=invoice.pk, delay=delay.total_seconds())
    invoice.refresh_from_db()
    return invoice


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with jitter: ~2 s, 4 s, 8 s … capped at 30 minutes."""
    base = min(2.0 * 2 ** (attempts - 1), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=base * random.uniform(0.75, 1.25))
