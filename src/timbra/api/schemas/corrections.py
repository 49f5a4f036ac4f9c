"""Cancelling and correcting stamped invoices (issue 11): what callers send and get back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema, Money
from timbra.domain import cancellation as rules


class CancelIn(InputSchema):
    motivo: str = Field(max_length=2, description="c_Motivo: 01 errores con relación (requiere `substitute_id`), "
                        "02 errores sin relación, 03 no se llevó a cabo la operación, 04 operación nominativa "
                        "relacionada en una factura global.")
    substitute_id: int | None = Field(None, description="Con el motivo 01: la factura timbrada que sustituye a esta "
                                      "(relación 04). Para emitirla y cancelar en un paso usa /substitute.")


class CreditNoteIn(InputSchema):
    amount: Money | None = Field(None, description="Importe con impuestos; sin él, todo lo que queda por acreditar.")
    concept: str = Field("Bonificación", max_length=200, description="Se antepone a la descripción de cada partida.")


class ReceptorAnswerIn(InputSchema):
    acepta: bool = Field(description="true: el receptor acepta la cancelación; false: la rechaza.")


class CancellationSettingsOut(InputSchema):
    cancel_on_gateway_void: bool = Field(False, description="La anulación de la factura en la pasarela cancela el "
                                         "CFDI (motivo 02).")
    cancel_on_full_refund: bool = Field(False, description="El reembolso de todo el cobro cancela el CFDI (motivo 03) "
                                        "en lugar de emitir una nota de crédito.")


class SatStatusOut(Schema):
    codigo_estatus: str
    estado: str = Field(description="Vigente, Cancelado o No Encontrado.")
    es_cancelable: str
    estatus_cancelacion: str
    validacion_efos: str


class CancellationOut(Schema):
    status: str = Field(description="requesting, awaiting, cancelled, rejected o refused.")
    label: str
    motivo: str
    motivo_label: str
    folio_sustitucion: str
    needs_acceptance: bool | None
    requested_at: datetime | None
    acceptance_deadline: date | None = Field(description="Último día hábil para que el receptor responda; "
                                             "si calla, el SAT cancela («plazo vencido»).")
    cancelled_at: datetime | None
    reason: str


def cancellation_of(obj: Any) -> dict[str, Any] | None:
    """The invoice's cancellation, or None when none was ever asked."""
    if not obj.cancellation_status:
        return None
    deadline = None
    if obj.cancellation_needs_acceptance and obj.cancellation_requested_at:
        from zoneinfo import ZoneInfo

        local = obj.cancellation_requested_at.astimezone(ZoneInfo(obj.org.timezone)).date()
        deadline = rules.acceptance_deadline(local)
    return {
        "status": obj.cancellation_status, "label": obj.cancellation_label, "motivo": obj.cancellation_motive,
        "motivo_label": rules.MOTIVOS.get(obj.cancellation_motive, ""),
        "folio_sustitucion": obj.cancellation_folio_sustitucion, "needs_acceptance": obj.cancellation_needs_acceptance,
        "requested_at": obj.cancellation_requested_at, "acceptance_deadline": deadline,
        "cancelled_at": obj.cancelled_at, "reason": obj.cancellation_reason,
    }


def sat_status_of(obj: Any) -> dict[str, Any] | None:
    if obj.sat_checked_at is None:
        return None
    return {"estado": obj.sat_estado, "es_cancelable": obj.sat_es_cancelable,
            "estatus_cancelacion": obj.sat_estatus_cancelacion, "checked_at": obj.sat_checked_at}


class SatSnapshotOut(Schema):
    estado: str
    es_cancelable: str
    estatus_cancelacion: str
    checked_at: datetime
