"""The org (emisor) the key belongs to, and its CSD status."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema


class CsdStatus(Schema):
    no_certificado: str
    rfc: str
    valid_from: datetime
    valid_to: datetime
    days_left: int = Field(description="Días que le quedan de vigencia (negativo si ya venció).")
    status: str = Field(description="valid, expired o not_yet_valid.")
    warning: str | None = Field(description="Aviso en español si vence pronto o ya venció.")


class OrgOut(Schema):
    id: int
    rfc: str
    nombre: str
    regimen_fiscal: str
    lugar_expedicion: str
    timezone: str
    email: str
    brand_color: str
    default_serie: str
    livemode: bool = Field(description="Modo de la API key con la que se consulta.")
    csd: CsdStatus | None = Field(description="El CSD activo; null si no hay uno cargado.")


class OrgPatch(InputSchema):
    email: str | None = Field(None, max_length=254)
    brand_color: str | None = Field(None, pattern=r"^#[0-9A-Fa-f]{6}$", description="Color #RRGGBB del PDF.")
    default_serie: str | None = Field(None, min_length=1, max_length=25, pattern=r"^[A-Za-z0-9]+$")
