"""/api-keys: list, create (secret shown once) and revoke keys. Needs the "keys" scope.

A key manages only keys of its own mode: a test key can never mint or revoke a live key.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from timbra.api.auth import Caller, admin_key, caller
from timbra.api.idempotency import idempotent
from timbra.api.pagination import Page, PageParams, paginate
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.api_keys import ApiKeyCreated, ApiKeyIn, ApiKeyOut
from timbra.invoicing.errors import found
from timbra.orgs.models import ApiKey
from timbra.orgs.services import create_api_key, revoke_api_key

router = Router(tags=["API keys"], auth=admin_key)


def get_key(who: Caller, key_id: int) -> ApiKey:
    return found(ApiKey.objects.filter(pk=key_id, org=who.org, livemode=who.livemode).first(), "API key")


@router.get("/api-keys", response={200: Page[ApiKeyOut], **ERRORS}, summary="Listar API keys")
def list_keys(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """Las claves del mismo modo (pruebas o producción) que la que consulta; nunca el secreto."""
    who = caller(request)
    return paginate(ApiKey.objects.filter(org=who.org, livemode=who.livemode), params).as_page()


@router.post("/api-keys", response={201: ApiKeyCreated, **WRITE_ERRORS}, summary="Crear una API key")
@idempotent(redact=("token",))
def create(request: HttpRequest, payload: ApiKeyIn) -> tuple[int, ApiKeyCreated]:
    """Crea una clave del mismo modo que la que llama. `token` solo viene en esta respuesta (si se
    repite con la misma Idempotency-Key, `token` es null: el secreto nunca se guarda)."""
    who = caller(request)
    scopes = ",".join(dict.fromkeys(payload.scopes))
    key, token = create_api_key(who.org, name=payload.name.strip(), livemode=who.livemode, scopes=scopes,
                                as_of=timezone.now(), actor=who.actor, source="api")
    key.token = token  # type: ignore[attr-defined]  # transient: shown in this response only
    return 201, ApiKeyCreated.from_orm(key)


@router.delete("/api-keys/{key_id}", response={200: ApiKeyOut, **ERRORS}, summary="Revocar una API key")
def revoke(request: HttpRequest, key_id: int) -> ApiKey:
    """Revoca la clave de inmediato. Repetirlo no hace nada."""
    who = caller(request)
    key = get_key(who, key_id)
    revoke_api_key(key, as_of=timezone.now(), actor=who.actor, source="api")
    key.refresh_from_db()
    return key
