"""Cancelling a stamped CFDI, as the SAT defines it (CFF 29-A; RMF 2.7.1.34, 2.7.1.35, 2.7.1.46).

Pure rules, no Django: the motives, which CFDIs need the receptor's acceptance, the business-day
arithmetic of the acceptance window and the last day a CFDI may still be cancelled, and how to read
the SAT status service's answer (reference/pacs-and-cancellation.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

MOTIVOS = {
    "01": "Comprobante emitido con errores con relación",
    "02": "Comprobante emitido con errores sin relación",
    "03": "No se llevó a cabo la operación",
    "04": "Operación nominativa relacionada en una factura global",
}
WITH_SUBSTITUTE = "01"  # requires FolioSustitucion: the substitute CFDI (TipoRelacion 04) comes first
GLOBAL_ONLY = "04"  # only a global invoice (público en general) is cancelled for this motive
TIPO_RELACION_SUSTITUCION = "04"  # c_TipoRelacion "Sustitución de los CFDI previos"
ACCEPTANCE_LIMIT_MXN = Decimal("1000.00")  # RMF 2.7.1.35 fracción I
ACCEPTANCE_BUSINESS_DAYS = 3  # RMF 2.7.1.34: the receptor answers within 3 business days; silence accepts
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})  # público en general / extranjero


class CancellationProblem(Exception):
    """A request the SAT would refuse; `code` is stable, `message` Spanish."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def check_motive(motivo: str, *, folio_sustitucion: str | None, receptor_rfc: str) -> None:
    """Raise CancellationProblem unless `motivo` and the substitute fit together (Anexo 20 §Cancelación)."""
    if motivo not in MOTIVOS:
        raise CancellationProblem("motivo_invalid", "El motivo de cancelación debe ser 01, 02, 03 o 04.")
    if motivo == WITH_SUBSTITUTE and not folio_sustitucion:
        raise CancellationProblem(
            "substitute_required",
            "Con el motivo 01 primero se emite el CFDI que sustituye (relación 04) y se cancela indicando su "
            "folio fiscal. Elige la factura sustituta o usa «Corregir y sustituir».",
        )
    if motivo != WITH_SUBSTITUTE and folio_sustitucion:
        raise CancellationProblem(
            "substitute_not_allowed", "Solo el motivo 01 lleva un CFDI sustituto; quítalo o usa el motivo 01."
        )
    if motivo == GLOBAL_ONLY and receptor_rfc != "XAXX010101000":
        raise CancellationProblem(
            "motivo_04_global_only",
            "El motivo 04 es para cancelar una factura global (público en general) cuando una de sus operaciones "
            "se factura a nombre del cliente.",
        )


# --- business days (CFF art. 12: weekends and the official rest days of LFT art. 74 do not count) ---


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def holidays(year: int) -> frozenset[date]:
    """LFT art. 74 rest days: fixed ones and the «lunes» that replace Feb 5, Mar 21 and Nov 20.
    (Dec 1 every six years, on a change of federal government, is left out: 2030 is the next one.)"""
    return frozenset({
        date(year, 1, 1), _nth_monday(year, 2, 1), _nth_monday(year, 3, 3), date(year, 5, 1),
        date(year, 9, 16), _nth_monday(year, 11, 3), date(year, 12, 25),
    })


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_business_days(day: date, count: int) -> date:
    """The business day `count` business days after `day` (`day` itself never counts)."""
    while count > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            count -= 1
    return day


def acceptance_deadline(requested_on: date) -> date:
    """Last day the receptor may answer; after it the SAT cancels by «plazo vencido» (silence accepts)."""
    return add_business_days(requested_on, ACCEPTANCE_BUSINESS_DAYS)


# --- who must accept ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CfdiFacts:
    """What the acceptance rule reads from a stamped CFDI. `total_mxn` is the Total in pesos
    (Total × TipoCambio for another currency). `issued_on` and `today` are local dates."""

    tipo_de_comprobante: str
    total_mxn: Decimal
    receptor_rfc: str
    issued_on: date
    global_invoice: bool = False


def needs_acceptance(facts: CfdiFacts, *, today: date) -> bool:
    """True when the receptor must accept the cancellation (RMF 2.7.1.35 lists the exceptions).

    Not needed: Total ≤ $1,000 (except a REP), Egresos and Traslados (the Nómina and Retenciones of
    the rule are not issued by Timbra), público en general / global invoices, foreign residents,
    and any CFDI cancelled by the business day following its issue."""
    tipo = facts.tipo_de_comprobante
    if tipo in ("E", "T", "N"):
        return False
    if tipo != "P" and facts.total_mxn <= ACCEPTANCE_LIMIT_MXN:
        return False
    if facts.global_invoice or facts.receptor_rfc in GENERIC_RFCS:
        return False
    return today > add_business_days(facts.issued_on, 1)


# --- how long a CFDI may be cancelled ---------------------------------------------------------------


def cancellation_deadline(issued_on: date, *, emisor_rfc: str) -> date:
    """Last day to cancel (RMF 2025 2.7.1.46; CFF 29-A): the end of the month in which the annual return
    for the CFDI's fiscal year is due: March of the next year for personas morales (12-character RFC),
    April for personas físicas (13)."""
    month = 3 if len(emisor_rfc) == 12 else 4
    next_year = issued_on.year + 1
    return date(next_year, month + 1, 1) - timedelta(days=1)


def check_deadline(issued_on: date, *, emisor_rfc: str, today: date) -> None:
    deadline = cancellation_deadline(issued_on, emisor_rfc=emisor_rfc)
    if today > deadline:
        raise CancellationProblem(
            "deadline_passed",
            f"El plazo para cancelar este CFDI terminó el {deadline.isoformat()} (mes de la declaración anual del "
            f"ejercicio {issued_on.year}); el SAT rechazaría la solicitud (código 208).",
        )


# --- the SAT status service's answer ------------------------------------------------------------------


class Outcome(StrEnum):
    """What a status answer means for a requested cancellation."""

    CANCELLED = "cancelled"  # Estado Cancelado
    REJECTED = "rejected"  # Vigente + Solicitud rechazada
    PENDING = "pending"  # Vigente + En proceso (or not yet registered at the SAT)
    ACTIVE = "active"  # Vigente, no request in course
    UNKNOWN = "unknown"  # N - 60x: not found / bad expression (the SAT may take ~48 h to know a CFDI)


@dataclass(frozen=True)
class SatStatus:
    """ConsultaCFDIService's answer, fields verbatim (reference §5.5). Trust `codigo_estatus` first."""

    codigo_estatus: str
    estado: str
    es_cancelable: str = ""
    estatus_cancelacion: str = ""
    validacion_efos: str = ""

    @property
    def found(self) -> bool:
        return self.codigo_estatus.startswith("S")

    def outcome(self) -> Outcome:
        if not self.found:
            return Outcome.UNKNOWN
        if self.estado == "Cancelado":
            return Outcome.CANCELLED
        if self.estatus_cancelacion == "Solicitud rechazada":
            return Outcome.REJECTED
        if self.estatus_cancelacion == "En proceso":
            return Outcome.PENDING
        return Outcome.ACTIVE


def expresion_impresa(*, emisor_rfc: str, receptor_rfc: str, total: str, uuid: str) -> str:
    """The `expresionImpresa` the status service takes: `?re=&rr=&tt=&id=` with Total as written in the
    XML, as satcfdi, Odoo and SW's SDK send it (reference §5.5)."""
    return f"?re={emisor_rfc}&rr={receptor_rfc}&tt={total}&id={uuid}"



class Step(StrEnum):
    """Where a cancellation stands (`Invoice.cancellation_status`), shown as a badge."""

    REQUESTING = "requesting"  # recorded; the PAC has not confirmed it received the request yet
    AWAITING = "awaiting"  # the PAC filed it (201/202); the SAT status service has the last word
    CANCELLED = "cancelled"  # Cancelado sin aceptación / con aceptación / plazo vencido
    REJECTED = "rejected"  # the receptor said no: the CFDI stays valid
    REFUSED = "refused"  # the PAC or the SAT refused the request (e.g. 203, 207, 208)


STEP_LABELS = {
    Step.REQUESTING: "Solicitud en envío",
    Step.AWAITING: "En proceso ante el SAT",
    Step.CANCELLED: "Cancelada ante el SAT",
    Step.REJECTED: "Rechazada por el receptor",
    Step.REFUSED: "Solicitud no aceptada",
}
