"""/sandbox-pac: the public certificate of the built-in sandbox PAC, and its simulated receptor (issue 11).

Public on purpose: anyone holding a sandbox-stamped CFDI may verify its SelloSAT with it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from timbra.api.auth import api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import idempotent
from timbra.api.routers import WRITE_ERRORS

router = Router(tags=["PAC de pruebas"])


@router.get("/sandbox-pac/certificate", auth=None, summary="Certificado del PAC de pruebas",
            openapi_extra={"responses": {200: {"description": "Certificado en PEM.",
                                               "content": {"application/x-pem-file": {"schema": {"type": "string"}}}}}})
def certificate(request: HttpRequest) -> HttpResponse:
    """El certificado (PEM) con que el PAC de pruebas firma el TimbreFiscalDigital. No tiene validez fiscal."""
    try:
        # Late import: the sandbox package is optional at import time of the API.
        from timbra.sandbox.service import sandbox_certificate_pem
    except ImportError as exc:
        raise ApiError(503, "sandbox_unavailable", "El PAC de pruebas no está disponible.") from exc
    response = HttpResponse(sandbox_certificate_pem(), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="timbra-sandbox-pac.pem"'
    return response


class ReceptorAnswerIn(Schema):
    acepta: bool = Field(description="true: el receptor acepta la cancelación; false: la rechaza.")


@router.post("/sandbox-pac/cancellations/{uuid}/answer", auth=api_key, response={204: None, **WRITE_ERRORS},
             summary="Responder como receptor (modo de prueba)")
@idempotent()
def answer(request: HttpRequest, uuid: str, payload: ReceptorAnswerIn) -> tuple[int, None]:
    """Simula la respuesta del receptor a una cancelación que requiere su aceptación (su buzón tributario).
    Solo en modo de prueba y para CFDI de tu organización; el estado se ve en la siguiente consulta al SAT."""
    from django.utils import timezone

    from timbra.invoicing.models import Invoice
    from timbra.sandbox.cancellations import answer_as_receptor

    who = caller(request)
    if who.livemode:
        raise ApiError(409, "live_mode", "En producción responde el receptor real, desde su buzón tributario.")
    if not Invoice.objects.filter(org=who.org, livemode=False, uuid=uuid.upper()).exists():
        raise ApiError(404, "not_found", "No se encontró el comprobante.")
    if not answer_as_receptor(uuid, accept=payload.acepta, as_of=timezone.now()):
        raise ApiError(409, "no_pending_request", "No hay una solicitud de cancelación pendiente de respuesta "
                       "para ese folio fiscal (código 1001 del SAT) o ya se respondió (1002).")
    return 204, None
