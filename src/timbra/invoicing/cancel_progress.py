"""advance_cancellation: file a recorded cancellation with the PAC, then follow the SAT until it decides.

Two steps, each safe to repeat (the job may be lost, repeated or run twice at once):

1. `requesting`: sign the request with the issuer's CSD and send it to the PAC. A repeat is harmless
   (the PAC answers 202 «previamente solicitado»), so an unknown outcome is simply sent again later.
   A permanent refusal (203 not ours, 207 bad motive, 208 too late…) returns the invoice to where it
   was, with the reason.
2. `awaiting`: the PAC's 201 is not a cancellation. Ask the SAT status service until it says
   Cancelado (sin aceptación, con aceptación, or by «plazo vencido» after 3 business days of
   silence) or «Solicitud rechazada» (the receptor said no: the CFDI stays valid).

The sweeper re-enqueues any pending cancellation whose `cancellation_next_check_at` is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import F, Value

from timbra import jobs
from timbra.cfdi.pac import CancelAnswer, CancelRequest, PacOutcomeUnknown, PacRejected, PacUnavailable
from timbra.cfdi.sat_status import SatUnavailable, StatusQuery
from timbra.domain.cancellation import Outcome, SatStatus, Step
from timbra.domain.credit_notes import TIPO_RELACION as TIPO_RELACION_NOTA
from timbra.domain.money import to_minor
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.stamp import backoff
from timbra.invoicing.transitions import LostRace, move, record
from timbra.orgs import csds

NOT_KNOWN_YET = "205"  # the SAT may take up to ~48 h to know a fresh CFDI: file again later
POLL_EVERY = timedelta(minutes=30)
RETRY_UNKNOWN_UUID = timedelta(hours=1)
PENDING = InvoiceStatus.CANCELLATION_PENDING


def advance_cancellation(invoice_id: int, *, as_of: datetime) -> Invoice:
    """Move one cancellation forward as far as it goes now; no-op when there is nothing to do."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=invoice_id)
    if invoice.status != PENDING:
        from timbra.invoicing.substitute import cancel_substituted

        return cancel_substituted(invoice, as_of=as_of)
    if invoice.cancellation_status == Step.REQUESTING:
        invoice = _file(invoice, as_of=as_of)
    if invoice.status == PENDING and invoice.cancellation_status == Step.AWAITING:
        due = invoice.cancellation_next_check_at
        if due is None or due <= as_of:
            invoice = check_cancellation(invoice, as_of=as_of)
    return invoice


def _file(invoice: Invoice, *, as_of: datetime) -> Invoice:
    try:
        canceller = pacs.canceller_for(invoice.livemode, invoice.org if invoice.livemode else None)
        signer = csds.signer_for(csds.active_csd(invoice.org, as_of=as_of))
    except (pacs.NoLivePac, csds.NoUsableCsd) as exc:
        return _give_back(invoice, Step.REFUSED, f"No se pudo enviar la solicitud: {exc.message}", as_of=as_of)
    stamped_xml = _stamped_xml(invoice)
    # Count the attempt before calling out (a crash mid-call leaves a trace, like stamping does).
    Invoice.objects.filter(pk=invoice.pk).update(cancellation_attempts=F("cancellation_attempts") + 1)
    attempts = invoice.cancellation_attempts + 1
    request = CancelRequest(uuid=str(invoice.uuid), stamped_xml=stamped_xml, motivo=invoice.cancellation_motive,
                            folio_sustitucion=invoice.cancellation_folio_sustitucion or None, signer=signer)
    try:
        answer = canceller.cancel(request)
    except PacRejected as exc:
        if exc.code == NOT_KNOWN_YET:
            return _later(invoice, as_of + RETRY_UNKNOWN_UUID, f"El SAT aún no conoce el CFDI ({exc.code}); se "
                          "volverá a enviar la solicitud en una hora.", as_of=as_of)
        return _give_back(invoice, Step.REFUSED, f"El PAC no aceptó la solicitud ({exc.code}): {exc.message}",
                          as_of=as_of)
    except (PacUnavailable, PacOutcomeUnknown) as exc:
        delay = backoff(attempts)
        return _later(invoice, as_of + delay, f"El PAC no respondió ({exc.message}); la solicitud se volverá a enviar "
                      f"en {int(delay.total_seconds())} s (repetirla no duplica nada).", as_of=as_of)
    return _filed(invoice, answer, as_of=as_of)


def _filed(invoice: Invoice, answer: CancelAnswer, *, as_of: datetime) -> Invoice:
    with transaction.atomic():
        if not Invoice.objects.filter(pk=invoice.pk, status=PENDING, cancellation_status=Step.REQUESTING).update(
            cancellation_status=Step.AWAITING, cancellation_next_check_at=as_of
        ):
            invoice.refresh_from_db()
            return invoice  # another worker filed it
        if answer.acuse_xml:
            InvoiceDocument.objects.filter(invoice=invoice).update(cancellation_acuse=answer.acuse_xml)
        record(invoice, "cancellation_filed", as_of=as_of,
               message=f"El PAC recibió la solicitud de cancelación ({answer.code}: {answer.message}). "
               "El SAT confirma la cancelación; se consulta su estado.",
               data={"code": answer.code})
    invoice.cancellation_status, invoice.cancellation_next_check_at = Step.AWAITING, as_of
    return invoice


def check_cancellation(invoice: Invoice, *, as_of: datetime, status: SatStatus | None = None) -> Invoice:
    """Ask the SAT status service (unless the caller just did: `status`) and act on its answer (the
    truth, not the PAC's 201)."""
    if status is None:
        try:
            status = pacs.sat_status_for(invoice.livemode).status(StatusQuery.from_xml(_stamped_xml(invoice)))
        except SatUnavailable as exc:
            return _later(invoice, as_of + POLL_EVERY, str(exc), as_of=as_of, quiet=True)
    snapshot = sat_fields(status, as_of)
    outcome = status.outcome()
    if outcome == Outcome.CANCELLED:
        try:
            with transaction.atomic():
                move(invoice, InvoiceStatus.CANCELLED, as_of=as_of, kind="cancelled",
                     message=f"El SAT canceló el CFDI {invoice.uuid} ({status.estatus_cancelacion or status.estado}).",
                     data={"estatus_cancelacion": status.estatus_cancelacion},
                     cancellation_status=Step.CANCELLED, cancelled_at=as_of, cancellation_next_check_at=None,
                     **snapshot)
                _release_credit(invoice)
                jobs.enqueue_on_commit("delivery.cancellation", invoice_id=invoice.pk)
        except LostRace:
            invoice.refresh_from_db()
        return invoice
    if outcome == Outcome.REJECTED:
        return _give_back(invoice, Step.REJECTED, "El receptor rechazó la cancelación: el CFDI sigue vigente. "
                          "Puedes volver a solicitarla.", as_of=as_of, **snapshot)
    Invoice.objects.filter(pk=invoice.pk, status=PENDING).update(cancellation_next_check_at=as_of + POLL_EVERY,
                                                                 **snapshot)
    invoice.refresh_from_db()
    return invoice


def _release_credit(invoice: Invoice) -> None:
    """A cancelled nota de crédito no longer reduces its Ingreso: give its amount back to what may still
    be credited (the conditional UPDATE never lets `credited` go below zero)."""
    if invoice.tipo_de_comprobante != "E":
        return
    uuids = [u for rel in invoice.related if rel.get("tipo_relacion") == TIPO_RELACION_NOTA for u in rel.get("uuids", [])]
    amount = Value(to_minor(invoice.total, 2), output_field=models.BigIntegerField())
    Invoice.objects.filter(org_id=invoice.org_id, livemode=invoice.livemode, uuid__in=uuids,
                           credited__gte=invoice.total).update(credited=F("credited") - amount)


def sat_fields(status: SatStatus, as_of: datetime) -> dict[str, object]:
    """The invoice's snapshot of the SAT's answer."""
    return {"sat_estado": status.estado or status.codigo_estatus[:40], "sat_es_cancelable": status.es_cancelable,
            "sat_estatus_cancelacion": status.estatus_cancelacion, "sat_checked_at": as_of}


def _give_back(invoice: Invoice, step: Step, message: str, *, as_of: datetime, **fields: object) -> Invoice:
    """Return the invoice to stamped/delivered: the CFDI is still valid."""
    back = InvoiceStatus(invoice.cancellation_previous_status or InvoiceStatus.STAMPED)
    try:
        with transaction.atomic():
            move(invoice, back, as_of=as_of, kind=f"cancellation_{step}", message=message,
                 cancellation_status=step, cancellation_next_check_at=None, cancellation_reason=message, **fields)
    except LostRace:
        invoice.refresh_from_db()
    return invoice


def _later(invoice: Invoice, when: datetime, message: str, *, as_of: datetime, quiet: bool = False) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk, status=PENDING).update(cancellation_next_check_at=when)
    if not quiet:
        record(invoice, "cancellation_retry", as_of=as_of, message=message)
    invoice.refresh_from_db()
    return invoice


def _stamped_xml(invoice: Invoice) -> bytes:
    return bytes(InvoiceDocument.objects.values_list("stamped_xml", flat=True).get(invoice=invoice))
