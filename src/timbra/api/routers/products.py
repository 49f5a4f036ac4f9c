"""/products: what the org sells, with SAT keys and tax presets."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import Field

from timbra.api.auth import Caller, api_key, caller
from timbra.api.idempotency import idempotent
from timbra.api.pagination import Page, PageParams, paginate
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.products import ProductIn, ProductOut, ProductPatch
from timbra.catalog.models import Product
from timbra.catalog.services import create_product, update_product
from timbra.invoicing.errors import found

router = Router(tags=["Productos"], auth=api_key)


def get_product(who: Caller, product_id: int) -> Product:
    return found(Product.objects.filter(pk=product_id, org=who.org, livemode=who.livemode).first(), "producto")


@router.post("/products", response={201: ProductOut, **WRITE_ERRORS}, summary="Crear un producto")
@idempotent()
def create(request: HttpRequest, payload: ProductIn) -> tuple[int, ProductOut]:
    """Crea un producto o servicio con su clave SAT, precio (texto decimal) e impuestos."""
    who = caller(request)
    product = create_product(who.org, payload.model_dump(), livemode=who.livemode, as_of=timezone.now())
    return 201, ProductOut.from_orm(product)


class ProductSearch(PageParams):
    q: str | None = Field(None, max_length=100, description="Busca en descripción y SKU.")


@router.get("/products", response={200: Page[ProductOut], **ERRORS}, summary="Listar productos")
def list_products(request: HttpRequest, params: Query[ProductSearch]) -> dict[str, Any]:
    who = caller(request)
    rows = Product.objects.filter(org=who.org, livemode=who.livemode)
    if params.q:
        rows = rows.filter(Q(descripcion__icontains=params.q.strip()) | Q(sku__icontains=params.q.strip()))
    return paginate(rows, params).as_page()


@router.get("/products/{product_id}", response={200: ProductOut, **ERRORS}, summary="Consultar un producto")
def retrieve(request: HttpRequest, product_id: int) -> Product:
    return get_product(caller(request), product_id)


@router.patch("/products/{product_id}", response={200: ProductOut, **ERRORS}, summary="Actualizar un producto")
def update(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    """Cambia solo los campos enviados (`null` = sin cambio). No afecta facturas ya creadas."""
    who = caller(request)
    product = get_product(who, product_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return update_product(product, changes, as_of=timezone.now())
