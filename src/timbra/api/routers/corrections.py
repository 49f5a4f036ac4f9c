"""/invoices/{id}/cancel, /credit-notes, /substitute, /sat-status and, in test mode, the sandbox receptor's
/sandbox-receptor-answer (issue 11; PUT /invoices/{id}, the
edit of a held invoice, lives with /invoices: ninja resolves one path in one router).

Cancel a stamped CFDI at the SAT with a motive, issue a credit note by hand, correct and substitute,
edit a held invoice, and ask the SAT what it knows about any CFDI. Thin: each calls one service.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from timbra.api.auth import api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import HEADER, idempotent
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.routers.invoices import detail, get_invoice
from timbra.api.schemas.corrections import (
    CancelIn,
    CancellationSettingsOut,
    CreditNoteIn,
    ReceptorAnswerIn,
    SatStatusOut,
)
from timbra.api.schemas.invoices import InvoiceIn, InvoiceOut
from timbra.invoicing.cancel import request_cancellation
from timbra.invoicing.cancel_settings import configure_cancellation, settings_for
from timbra.invoicing.credit_note import issue_credit_note
from timbra.invoicing.sat_check import check_sat_status
from timbra.invoicing.substitute import substitute_invoice
from timbra.sandbox.cancellations import answer_as_receptor

router = Router(tags=["Cancelar y corregir"], auth=api_key)


@router.post("/invoices/{invoice_id}/cancel", response={202: InvoiceOut, **WRITE_ERRORS},
             summary="Cancelar un CFDI ante el SAT")
@idempotent()
def cancel(request: HttpRequest, invoice_id: int, payload: CancelIn) -> tuple[int, InvoiceOut]:
    """Pide al SAT cancelar la factura timbrada con el motivo indicado. Responde 202 con
    `status: cancellation_pending`; la cancelación ocurre cuando el SAT la confirma (puede requerir la
    aceptación del receptor: 3 días hábiles; si no responde, se cancela). Repetirla no duplica nada."""
    who = caller(request)
    invoice = get_invoice(who, invoice_id)
    substitute = get_invoice(who, payload.substitute_id) if payload.substitute_id is not None else None
    request_cancellation(invoice, motivo=payload.motivo, substitute=substitute, actor=who.actor,
                         as_of=timezone.now())
    return 202, detail(who, invoice_id)


@router.post("/invoices/{invoice_id}/credit-notes", response={201: InvoiceOut, **WRITE_ERRORS},
             summary="Emitir una nota de crédito")
@idempotent()
def credit_note(request: HttpRequest, invoice_id: int, payload: CreditNoteIn) -> tuple[int, InvoiceOut]:
    """Emite un CFDI de egreso (relación 01) por el importe dado, repartido entre las partidas con sus
    impuestos en proporción; sin importe, por todo lo que queda por acreditar. Responde con la nota."""
    who = caller(request)
    key = request.headers.get(HEADER) or uuid.uuid4().hex
    note = issue_credit_note(get_invoice(who, invoice_id), amount=payload.amount, concept=payload.concept,
                             actor=who.actor, as_of=timezone.now(), key=key)
    return 201, detail(who, note.pk)


@router.post("/invoices/{invoice_id}/substitute", response={201: InvoiceOut, **WRITE_ERRORS},
             summary="Corregir y sustituir")
@idempotent()
def substitute(request: HttpRequest, invoice_id: int, payload: InvoiceIn) -> tuple[int, InvoiceOut]:
    """Emite la factura corregida (relación 04 con esta) y, cuando queda timbrada, cancela esta con
    motivo 01. Responde con la sustituta; una segunda llamada devuelve la misma."""
    who = caller(request)
    created = substitute_invoice(get_invoice(who, invoice_id), payload.to_input(), actor=who.actor,
                                 as_of=timezone.now())
    return 201, detail(who, created.pk)


@router.post("/invoices/{invoice_id}/sat-status", response={200: SatStatusOut, **WRITE_ERRORS},
             summary="Consultar el estado en el SAT")
@idempotent()
def sat_status(request: HttpRequest, invoice_id: int) -> SatStatusOut:
    """Pregunta al servicio de consulta del SAT si el CFDI está vigente o cancelado y si es cancelable
    (con o sin aceptación); guarda la respuesta en la factura."""
    who = caller(request)
    status = check_sat_status(get_invoice(who, invoice_id), as_of=timezone.now(), actor=who.actor)
    return SatStatusOut(codigo_estatus=status.codigo_estatus, estado=status.estado,
                        es_cancelable=status.es_cancelable, estatus_cancelacion=status.estatus_cancelacion,
                        validacion_efos=status.validacion_efos)


@router.post("/invoices/{invoice_id}/sandbox-receptor-answer", response={204: None, **WRITE_ERRORS},
             summary="Responder como receptor (modo de prueba)")
@idempotent()
def sandbox_receptor_answer(request: HttpRequest, invoice_id: int, payload: ReceptorAnswerIn) -> tuple[int, None]:
    """Simula la respuesta del receptor (su buzón tributario) a una cancelación de esta factura que requiere
    su aceptación. Solo en modo de prueba; el estado cambia en la siguiente consulta al SAT."""
    who = caller(request)
    invoice = get_invoice(who, invoice_id)
    if who.livemode:
        raise ApiError(409, "live_mode", "En producción responde el receptor real, desde su buzón tributario.")
    if not invoice.uuid or not answer_as_receptor(invoice.uuid, accept=payload.acepta, as_of=timezone.now()):
        raise ApiError(409, "no_pending_request", "La factura no tiene una solicitud de cancelación pendiente de "
                       "respuesta (código 1001 del SAT) o ya se respondió (1002).")
    return 204, None


@router.get("/cancellation-settings", response={200: CancellationSettingsOut, **ERRORS},
            summary="Ajustes de cancelación")
def get_cancellation_settings(request: HttpRequest) -> CancellationSettingsOut:
    """Si la anulación en la pasarela (motivo 02) o el reembolso de todo el cobro (motivo 03) cancelan el CFDI
    ante el SAT por sí solos. Por omisión, no: la anulación se señala y el reembolso se acredita."""
    chosen = settings_for(caller(request).org)
    return CancellationSettingsOut(cancel_on_gateway_void=chosen.cancel_on_gateway_void,
                                   cancel_on_full_refund=chosen.cancel_on_full_refund)


@router.put("/cancellation-settings", response={200: CancellationSettingsOut, **WRITE_ERRORS},
            summary="Cambiar los ajustes de cancelación")
@idempotent()
def put_cancellation_settings(request: HttpRequest, payload: CancellationSettingsOut) -> CancellationSettingsOut:
    """Elige si la pasarela cancela el CFDI por sí sola (afecta a los dos modos, prueba y producción)."""
    configure_cancellation(caller(request).org, cancel_on_gateway_void=payload.cancel_on_gateway_void,
                           cancel_on_full_refund=payload.cancel_on_full_refund, as_of=timezone.now())
    return payload
