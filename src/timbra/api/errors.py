"""Every API error has one shape: `{"error": {"code", "message", "field"}}`.

`code` is stable (programs branch on it), `message` is Spanish (people read it), `field`
points at the input when there is one. Ninja's own errors (auth, validation, 404, 405)
and unexpected exceptions go through the same shape; a 500 never leaks a stack trace.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from timbra.csd.certificate import CsdError
from timbra.domain.money import InexactAmount
from timbra.invoicing.errors import InvoicingError

log = logging.getLogger(__name__)

JSON = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error raised by the API layer itself (scopes, idempotency, wrong state)."""

    def __init__(self, status_code: int, code: str, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.status_code, self.code, self.message, self.field = status_code, code, message, field


def error_body(code: str, message: str, field: str = "",
               details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The error envelope; `field` is omitted when there is none, `details` (every problem, when
    a request breaks several rules) likewise."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    if details:
        error["details"] = details
    return {"error": error}


def error_response(status: int, code: str, message: str, field: str = "",
                   details: list[dict[str, str]] | None = None) -> HttpResponse:
    """An error as a JSON HttpResponse (also used outside ninja, e.g. 404/405 wrappers)."""
    body = json.dumps(error_body(code, message, field, details), ensure_ascii=False)
    return HttpResponse(body, status=status, content_type=JSON)


def known_error_response(exc: Exception) -> HttpResponse | None:
    """The response for an error a caller can act on, or None for anything unexpected."""
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.field)
    if isinstance(exc, InvoicingError):
        return error_response(exc.status_code, exc.code, exc.message, exc.field, exc.details)
    if isinstance(exc, CsdError):
        return error_response(422, str(exc.code), exc.message_es, _CSD_FIELDS.get(str(exc.code), "cer"))
    if isinstance(exc, InexactAmount):
        # A total that needs more decimals than Timbra stores (e.g. CLF, 4 decimals, in a 2-decimal
        # column): refused, never rounded silently and never a 500.
        return error_response(422, "too_many_decimals", f"{exc}; Timbra guarda los importes de la factura "
                              f"con {exc.scale} decimales. Ajusta precios o cantidades.")
    if isinstance(exc, MultiPartParserError):
        # A multipart content type without a boundary, or a broken multipart body (issue 14 §1).
        return error_response(400, *MALFORMED_BODY)
    if isinstance(exc, (OverflowError, DataError)):
        # An id or filter beyond what the database's integers hold (SQLite raises OverflowError,
        # PostgreSQL a DataError): nothing can match it, and it is the caller's input.
        return error_response(422, *OUT_OF_RANGE)
    return None


MALFORMED_BODY = ("malformed_body", "El cuerpo multipart/form-data no es válido (¿falta el «boundary»?).")
OUT_OF_RANGE = ("validation_error", "Un número de la solicitud está fuera del rango permitido.")


_CSD_FIELDS = {"malformed_key": "key", "key_mismatch": "key", "bad_password": "password"}


UNAUTHORIZED = (
    "Falta la API key o no es válida. Envía el encabezado «Authorization: Bearer sk_test_…» "
    "(o sk_live_…) con una clave vigente."
)
HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("invalid_json", "El cuerpo de la solicitud no es JSON válido."),
    403: ("insufficient_scope", "La API key no tiene permiso para esta operación."),
    404: ("not_found", "No se encontró el recurso."),
    429: ("rate_limited", "Demasiadas solicitudes; espera un momento y vuelve a intentar."),
}


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        response = error_response(401, "unauthorized", UNAUTHORIZED)
        response["WWW-Authenticate"] = "Bearer"
        return response
    if isinstance(exc, AuthorizationError):
        return error_response(403, *HTTP_CODES[403])
    code, message = HTTP_CODES.get(exc.status_code, ("http_error", "La solicitud no se pudo procesar."))
    return error_response(exc.status_code, code, message)


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = field_path(first.get("loc", ()))
    return error_response(422, "validation_error", spanish_message(first, field), field)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    known = known_error_response(exc)
    if known is not None:
        return known
    # Method and path only: bodies may carry CSD passwords or customer data (ASVS 16.2.5).
    log.exception("unexpected API error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", "Ocurrió un error inesperado. Intenta de nuevo más tarde.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF_FAILURE_VIEW: JSON under /api/v1/ (the API authenticates with a bearer
    key and never uses CSRF, so only a route outside ninja can get here), HTML elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(403, "csrf_failed", "Solicitud rechazada por la protección CSRF.")
    from django.views.csrf import csrf_failure as html_failure

    return html_failure(request, reason)


def install(api: NinjaAPI) -> None:
    """Route every exception ninja sees through the error envelope."""
    api.add_exception_handler(Exception, _on_unexpected)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(
        Http404, lambda request, exc: error_response(404, *HTTP_CODES[404])
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("body", "payload", "lines", 0, "cantidad") -> "lines[0].cantidad"."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[2:]  # ninja puts the body parameter's name second
    elif parts and parts[0] in ("query", "path", "header", "cookie", "form", "file"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_MESSAGES: dict[str, str] = {
    "missing": "Falta el campo obligatorio «{field}».",
    "extra_forbidden": "«{field}» no es un campo permitido.",
    "string_type": "«{field}» debe ser texto.",
    "string_too_short": "«{field}» debe tener al menos {min_length} caracteres.",
    "string_too_long": "«{field}» admite como máximo {max_length} caracteres.",
    "string_pattern_mismatch": "«{field}» no tiene el formato esperado.",
    "int_type": "«{field}» debe ser un número entero.",
    "int_parsing": "«{field}» debe ser un número entero.",
    "int_from_float": "«{field}» debe ser un número entero.",
    "decimal_type": "«{field}» debe ser un número, por ejemplo \"1158.84\".",
    "decimal_parsing": "«{field}» debe ser un número, por ejemplo \"1158.84\".",
    "decimal_max_places": "«{field}» admite como máximo {decimal_places} decimales.",
    "decimal_max_digits": "«{field}» tiene demasiados dígitos.",
    "decimal_whole_digits": "«{field}» tiene demasiados dígitos enteros.",
    "finite_number": "«{field}» debe ser un número finito.",
    "greater_than": "«{field}» debe ser mayor que {gt}.",
    "greater_than_equal": "«{field}» debe ser mayor o igual a {ge}.",
    "less_than": "«{field}» debe ser menor que {lt}.",
    "less_than_equal": "«{field}» debe ser menor o igual a {le}.",
    "bool_type": "«{field}» debe ser verdadero o falso.",
    "bool_parsing": "«{field}» debe ser verdadero o falso.",
    "list_type": "«{field}» debe ser una lista.",
    "too_short": "«{field}» debe tener al menos {min_length} elemento(s).",
    "too_long": "«{field}» admite como máximo {max_length} elementos.",
    "model_type": "«{field}» debe ser un objeto JSON.",
    "model_attributes_type": "«{field}» debe ser un objeto JSON.",
    "dict_type": "«{field}» debe ser un objeto JSON.",
    "literal_error": "«{field}» debe ser uno de: {expected}.",
    "enum": "«{field}» debe ser uno de: {expected}.",
    "datetime_parsing": "«{field}» debe ser una fecha ISO 8601, por ejemplo 2026-11-20 o 2026-11-20T10:00:00-06:00.",
    "datetime_from_date_parsing": "«{field}» debe ser una fecha ISO 8601, por ejemplo 2026-11-20.",
    "date_parsing": "«{field}» debe ser una fecha ISO 8601, por ejemplo 2026-11-20.",
    "json_invalid": "El cuerpo de la solicitud no es JSON válido.",
}


def spanish_message(error: dict[str, Any], field: str) -> str:
    """A Spanish sentence for one pydantic error, naming the field (never echoing the input)."""
    kind = str(error.get("type", ""))
    ctx = dict(error.get("ctx") or {})
    label = field or "cuerpo de la solicitud"
    if kind == "value_error" and ctx.get("error"):
        # Our own validators raise ValueError with a Spanish message.
        return f"«{label}»: {ctx['error']}"
    if kind == "missing" and not field:
        return "Falta el cuerpo de la solicitud (JSON)."
    template = _MESSAGES.get(kind, "«{field}» no es válido.")
    if "expected" in ctx:
        ctx["expected"] = str(ctx["expected"]).replace(" or ", " o ")
    try:
        return template.format(field=label, **ctx)
    except (KeyError, IndexError):
        return f"«{label}» no es válido."
