"""/sandbox-pac/certificate: the public certificate of the built-in sandbox PAC.

Public on purpose: anyone holding a sandbox-stamped CFDI may verify its SelloSAT with it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from timbra.api.errors import ApiError

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

