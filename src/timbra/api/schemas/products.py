"""Products and services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from timbra.api.schemas.common import InputSchema, UnitPrice, decimal_text


class ProductIn(InputSchema):
    descripcion: str = Field(max_length=1000)
    clave_prod_serv: str = Field(max_length=8, description="Clave c_ClaveProdServ, 8 dígitos.")
    clave_unidad: str = Field(max_length=3, description="Clave c_ClaveUnidad, p. ej. «E48».")
    unidad: str = Field("", max_length=20)
    sku: str = Field("", max_length=100, description="Se usa como NoIdentificacion.")
    unit_price: UnitPrice = Field(description="Precio unitario como texto («999.00»); hasta 6 decimales.")
    price_includes_taxes: bool = False
    objeto_imp: str = Field("02", max_length=2, description="c_ObjetoImp: «01» no objeto, «02» sí objeto.")
    taxes: list[str] = Field(default_factory=lambda: ["IVA16"], max_length=4,
                             description="Impuestos predefinidos: IVA16, IVA8, IVA0, IVA_EXENTO, RET_IVA_2_3, …")


class ProductPatch(InputSchema):
    descripcion: str | None = Field(None, max_length=1000)
    clave_prod_serv: str | None = Field(None, max_length=8)
    clave_unidad: str | None = Field(None, max_length=3)
    unidad: str | None = Field(None, max_length=20)
    sku: str | None = Field(None, max_length=100)
    unit_price: UnitPrice | None = None
    price_includes_taxes: bool | None = None
    objeto_imp: str | None = Field(None, max_length=2)
    taxes: list[str] | None = Field(None, max_length=4)


class ProductOut(Schema):
    id: int
    livemode: bool
    descripcion: str
    clave_prod_serv: str
    clave_unidad: str
    unidad: str
    sku: str
    unit_price: str = Field(description="Texto decimal, nunca número flotante.")
    price_includes_taxes: bool
    objeto_imp: str
    taxes: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_unit_price(obj: Any) -> str | None:
        return decimal_text(obj.unit_price, min_places=2)
