"""Customers (receptores)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema


class CustomerIn(InputSchema):
    rfc: str = Field(max_length=13, description="RFC del receptor (13 o 12 caracteres).")
    nombre: str = Field(max_length=300, description="Razón social o nombre, como en la Constancia de Situación Fiscal.")
    regimen_fiscal: str = Field(max_length=3, description="Clave c_RegimenFiscal, p. ej. «601».")
    codigo_postal: str = Field(max_length=5, description="Código postal del domicilio fiscal.")
    uso_cfdi: str = Field("G03", max_length=4, description="Clave c_UsoCFDI por omisión.")
    emails: list[str] = Field(default_factory=list, max_length=10)
    external_id: str = Field("", max_length=120, description="Tu identificador del cliente.")


class CustomerPatch(InputSchema):
    rfc: str | None = Field(None, max_length=13)
    nombre: str | None = Field(None, max_length=300)
    regimen_fiscal: str | None = Field(None, max_length=3)
    codigo_postal: str | None = Field(None, max_length=5)
    uso_cfdi: str | None = Field(None, max_length=4)
    emails: list[str] | None = Field(None, max_length=10)
    external_id: str | None = Field(None, max_length=120)


class CustomerOut(Schema):
    id: int
    livemode: bool
    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str
    uso_cfdi: str
    emails: list[str]
    external_id: str
    created_at: datetime
    updated_at: datetime
