"""The sandbox's cancellation desk: the PAC's `cancel` and the SAT status service, simulated honestly.

A real cancellation has three parties: the PAC files the signed request (answering 201, «received»,
which is not a cancellation), the SAT decides whether the receptor must accept (RMF 2.7.1.35), and
the receptor accepts, rejects, or stays silent, in which case the SAT cancels by «plazo vencido» after
3 business days. The sandbox keeps each request on its own stamp row (`SandboxStamp`) and answers the
status service from it and from the clock, so test mode walks the same path as live mode. How the
simulated receptor answers is `TIMBRA_SANDBOX_RECEPTOR` (acepta / rechaza / silencio), or a person
answers with `answer_as_receptor` (the API's /sandbox-pac/cancellations/{uuid}/respuesta).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from lxml import etree
from satcfdi.create.cancela.cancelacion import Cancelacion, Folio

from timbra.cfdi import sandbox_checks as checks
from timbra.cfdi.pac import CancelAnswer, CancelRequest, PacRejected
from timbra.cfdi.sat_status import StatusQuery
from timbra.domain import cancellation as rules
from timbra.domain.cancellation import SatStatus
from timbra.sandbox.models import SandboxStamp

ACCEPTS, REJECTS, SILENT = "acepta", "rechaza", "silencio"
FOUND = "S - Comprobante obtenido satisfactoriamente."
NOT_FOUND = "N - 602: Comprobante no encontrado."


class SandboxCancellations:
    """Implements `PacCancellation.cancel` and `SatStatusService.status` for sandbox-stamped CFDIs."""

    name = "sandbox"

    def __init__(self, clock: Callable[[], datetime], receptor: Callable[[], str] | None = None) -> None:
        self._clock = clock
        self._receptor = receptor or (lambda: settings.TIMBRA_SANDBOX_RECEPTOR)

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """File the request as a PAC would: 201 the first time, 202 when it is already filed."""
        row = _stamp(request.uuid)
        if row is None:
            raise PacRejected("205", "El UUID no existe o el SAT aún no lo conoce.")
        signer_rfc = getattr(request.signer, "rfc", "")
        if signer_rfc != row.emisor_rfc:
            raise PacRejected("203", "El UUID no corresponde al emisor que solicita la cancelación.")
        try:
            rules.check_motive(request.motivo, folio_sustitucion=request.folio_sustitucion,
                               receptor_rfc=_root(row).find(f"{{{checks.NS_CFDI}}}Receptor").get("Rfc", ""))
        except rules.CancellationProblem as exc:
            raise PacRejected("207", exc.message) from exc
        if request.folio_sustitucion and _stamp(request.folio_sustitucion) is None:
            raise PacRejected("207", "El folio fiscal sustituto no existe.")
        now = self._clock()
        acuse = _signed_request(request, now)
        if row.cancel_requested_at is not None and row.receptor_answer != REJECTS:
            return CancelAnswer(request.uuid, "202", "Solicitud de cancelación previamente recibida.", acuse)
        answer = self._receptor()
        SandboxStamp.objects.filter(pk=row.pk).update(
            cancel_requested_at=now,
            cancel_motivo=request.motivo,
            cancel_folio_sustitucion=request.folio_sustitucion or "",
            cancel_needs_acceptance=rules.needs_acceptance(_facts(row), today=_local_date(now)),
            receptor_answer=answer if answer in (ACCEPTS, REJECTS) else "",
            receptor_answered_at=now if answer in (ACCEPTS, REJECTS) else None,
        )
        return CancelAnswer(request.uuid, "201", "Solicitud de cancelación recibida.", acuse)

    def status(self, query: StatusQuery) -> SatStatus:
        """What ConsultaCFDIService would say now (reference §5.5's consistent states only)."""
        row = _stamp(query.uuid)
        if row is None or row.emisor_rfc != query.emisor_rfc:
            return SatStatus(NOT_FOUND, "No Encontrado")
        today = _local_date(self._clock())
        if row.cancel_requested_at is None:
            needs = rules.needs_acceptance(_facts(row), today=today)
            cancelable = "Cancelable con aceptación" if needs else "Cancelable sin aceptación"
            return SatStatus(FOUND, "Vigente", cancelable, "", "200")
        if not row.cancel_needs_acceptance:
            return SatStatus(FOUND, "Cancelado", "Cancelable sin aceptación", "Cancelado sin aceptación", "200")
        if row.receptor_answer == ACCEPTS:
            return SatStatus(FOUND, "Cancelado", "Cancelable con aceptación", "Cancelado con aceptación", "200")
        if row.receptor_answer == REJECTS:
            return SatStatus(FOUND, "Vigente", "Cancelable con aceptación", "Solicitud rechazada", "200")
        if today > rules.acceptance_deadline(_local_date(row.cancel_requested_at)):
            return SatStatus(FOUND, "Cancelado", "Cancelable con aceptación", "Plazo vencido", "200")
        return SatStatus(FOUND, "Vigente", "Cancelable con aceptación", "En proceso", "200")


def answer_as_receptor(uuid: str, *, accept: bool, as_of: datetime) -> bool:
    """The simulated receptor answers a pending request (its buzón tributario); False when there is
    none to answer (SAT code 1001) or it was answered already (1002)."""
    return bool(
        SandboxStamp.objects.filter(
            uuid=uuid.upper(), cancel_requested_at__isnull=False, cancel_needs_acceptance=True, receptor_answer=""
        ).update(receptor_answer=ACCEPTS if accept else REJECTS, receptor_answered_at=as_of)
    )


def _stamp(uuid: str) -> SandboxStamp | None:
    return next(iter(SandboxStamp.objects.filter(uuid=uuid.upper())[:1]), None)


def _root(row: SandboxStamp) -> etree._Element:
    return etree.fromstring(bytes(row.stamped_xml))


def _facts(row: SandboxStamp) -> rules.CfdiFacts:
    root = _root(row)
    tfd = checks.read_tfd(root)
    stamped_at = datetime.fromisoformat(tfd.get("FechaTimbrado", "")) if tfd is not None else row.created_at
    total = Decimal(root.get("Total", "0")) * Decimal(root.get("TipoCambio") or "1")
    return rules.CfdiFacts(
        tipo_de_comprobante=root.get("TipoDeComprobante", "I"),
        total_mxn=total,
        receptor_rfc=root.find(f"{{{checks.NS_CFDI}}}Receptor").get("Rfc", ""),
        issued_on=stamped_at.date(),
        global_invoice=root.find(f"{{{checks.NS_CFDI}}}InformacionGlobal") is not None,
    )


def _local_date(moment: datetime) -> date:
    return moment.astimezone(checks.MEXICO_CITY).date()


def _signed_request(request: CancelRequest, now: datetime) -> bytes:
    """The `Cancelacion` satcfdi signs with the issuer's CSD: a real PAC forwards it to the SAT, the
    sandbox returns it as its acuse (so a signer that cannot sign fails here, as it would live)."""
    signed = Cancelacion(
        emisor=request.signer,
        folios=Folio(uuid=request.uuid, motivo=request.motivo, folio_sustitucion=request.folio_sustitucion),
        fecha=now.astimezone(checks.MEXICO_CITY).replace(tzinfo=None, microsecond=0),
    )
    return etree.tostring(signed.to_xml(), xml_declaration=True, encoding="UTF-8")
