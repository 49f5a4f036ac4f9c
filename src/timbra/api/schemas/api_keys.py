"""API keys. The secret is returned once, at creation, and never again."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema

Scope = Literal["read", "write", "keys"]


class ApiKeyIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(default_factory=lambda: ["read", "write"], min_length=1, max_length=3,
                                description="read, write y/o keys (administración: claves y CSD).")


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="Parte pública de la clave, para reconocerla.")
    livemode: bool
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @staticmethod
    def resolve_scopes(obj: Any) -> list[str]:
        return [s for s in obj.scopes.split(",") if s]


class ApiKeyCreated(ApiKeyOut):
    token: str | None = Field(description="La clave completa. Solo se muestra en esta respuesta: guárdala ahora.")
