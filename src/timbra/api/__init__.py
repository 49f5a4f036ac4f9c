"""Timbra's public REST API, mounted at /api/v1 (docs at /api/v1/docs).

Usage in urls.py: `path("api/v1/", timbra.api.urls())`. Besides ninja's routes, `urls()`
turns Django's own 404 (unknown path) and ninja's 405 into the JSON error envelope.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Router, Swagger

from timbra.api import errors
from timbra.api.parser import DecimalJSONParser
from timbra.api.routers import (
    api_keys,
    corrections,
    customers,
    gateways,
    invoices,
    org,
    org_pac,
    products,
    receipts,
    receivables,
    rules,
    sandbox,
    schedules,
)

DESCRIPTION = """
API de facturación electrónica CFDI 4.0 de Timbra.

**Autenticación**: `Authorization: Bearer sk_test_…` (modo pruebas) o `sk_live_…` (producción).
La organización y el modo salen solo de la clave. Permisos: `read` (GET), `write` (altas y cambios),
`keys` (administrar API keys y cargar el CSD; no va implícito en `write`).

**Idempotencia**: envía `Idempotency-Key: <uuid>` en cada POST/PUT. Repetir la misma solicitud con la
misma clave devuelve la respuesta original (encabezado `Idempotent-Replayed: true`).

**Dinero**: los importes viajan como texto decimal (`"1158.84"`), nunca como número flotante.

**Errores**: `{"error": {"code": "...", "message": "...", "field": "..."}}`, con `code` estable y
`message` en español.
"""

api = NinjaAPI(
    title="Timbra API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    parser=DecimalJSONParser(),
    # Swagger UI's assets come from ninja's static files ("ninja" in INSTALLED_APPS, served by
    # whitenoise); its validator badge would call swagger.io, so it is off: the docs work offline.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.install(api)

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "Clave única por operación (sugerimos un UUID v4). Repetir la misma solicitud con la "
    "misma clave devuelve la respuesta original, con `Idempotent-Replayed: true`.",
}


def _document_idempotency(router: Router) -> None:
    """Show the Idempotency-Key header in the docs of every idempotent operation."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            if getattr(operation.view_func, "idempotent", False):
                extra = dict(operation.openapi_extra or {})
                extra["parameters"] = [*extra.get("parameters", []), IDEMPOTENCY_PARAMETER]
                operation.openapi_extra = extra


for module in (customers, products, invoices, corrections, api_keys, org, org_pac, sandbox, schedules, receivables,
               gateways, rules, receipts):
    _document_idempotency(module.router)
    api.add_router("", module.router)


def _json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Django-level 404s and ninja's plain-text 405 become the JSON error envelope."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return errors.error_response(404, *errors.HTTP_CODES[404])
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = errors.error_response(
                405, "method_not_allowed",
                f"El método {request.method} no está permitido en esta ruta. Permitidos: {allowed}.",
            )
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt  # a POST to an unknown path is a JSON 404, not Django's HTML CSRF page (issue 14 §1)
def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return errors.error_response(404, "not_found", "No existe esta ruta de la API. Consulta /api/v1/docs.")


def urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns (for `path("api/v1/", urls())`), with JSON 404/405."""
    patterns, app_name, namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_errors(pattern.callback)
        wrapped.append(pattern)
    wrapped.append(re_path(r"^.*$", _not_found))
    return wrapped, app_name, namespace
