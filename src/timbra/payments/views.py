"""The public webhook endpoint: `POST /hooks/<provider>/<token>`.

No session, no CSRF, no ambient tenant: the org comes only from the connection the URL's
token names (reference/reliability.md §3.4). The body is read raw (the signature covers
the exact bytes) and answered 200 only once the event row is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from timbra.payments.gateways.base import WebhookRejected
from timbra.payments.gateways.mercadopago import signature_material
from timbra.payments.services.connections import find_connection
from timbra.payments.services.receive_webhook import receive_webhook

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024  # Stripe events are a few KB; a long invoice stays far below this.


def _mercadopago_signature(request: HttpRequest) -> str | None:
    # Mercado Pago signs values spread over two headers and the URL's query string.
    return signature_material(
        request.headers.get("x-signature"), request.headers.get("x-request-id"), request.GET.get("data.id")
    )


# What each gateway signs with, as the adapter's `verify_and_parse(header=...)` expects it.
SIGNATURES: dict[str, Callable[[HttpRequest], str | None]] = {
    "stripe": lambda request: request.headers.get("Stripe-Signature"),
    "conekta": lambda request: request.headers.get("Digest"),
    "mercadopago": _mercadopago_signature,
}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str, token: str) -> JsonResponse:
    """Verify, store and acknowledge one gateway event."""
    now = timezone.now()
    connection = find_connection(provider, token) if provider in SIGNATURES else None
    if connection is None:
        return _error(404, "not_found", "No existe una conexión activa para esta URL de webhook.")
    payload = _read_body(request)
    if isinstance(payload, JsonResponse):
        return payload
    if len(payload) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large", f"El cuerpo supera {MAX_BODY_BYTES // 1024} KB.")
    try:
        received = receive_webhook(connection, payload, SIGNATURES[provider](request), now=now)
    except WebhookRejected as exc:
        return _error(400, exc.code, exc.message)
    except DatabaseError:
        # Not stored means not acknowledged: a non-2xx makes the gateway deliver it again.
        log.exception("webhook not stored (connection %s)", connection.pk)
        return _error(503, "unavailable", "No se pudo guardar el evento; se reintentará la entrega.")
    answer: dict[str, object] = {"received": True, "duplicate": received.duplicate}
    if received.rejected is not None:
        # Stored, so acknowledged (a retry would bring the same bytes); rejected, and shown on Eventos.
        answer["rejected"] = {"code": received.rejected.code, "message": received.rejected.message}
    return JsonResponse(answer)


def _read_body(request: HttpRequest) -> bytes | JsonResponse:
    """The raw body, also when it comes chunked without Content-Length (issue 14 §1): Django
    reads such a body as empty, so it is read from the server's stream when the server says
    the stream ends (`wsgi.input_terminated`, as gunicorn does), else 411."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not declared and chunked:
        if not request.META.get("wsgi.input_terminated"):
            return _error(411, "length_required",
                          "Envía el encabezado Content-Length: este servidor no lee cuerpos fragmentados (chunked).")
        body: bytes = request.META["wsgi.input"].read(MAX_BODY_BYTES + 1)
        return body
    declared = declared or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large", f"El cuerpo supera {MAX_BODY_BYTES // 1024} KB.")
    return request.body
