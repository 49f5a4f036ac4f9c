"""/customers: the org's receptores, in the key's mode."""

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
from timbra.api.schemas.customers import CustomerIn, CustomerOut, CustomerPatch
from timbra.customers.models import Customer
from timbra.customers.services import create_customer, update_customer
from timbra.invoicing.errors import found

router = Router(tags=["Clientes"], auth=api_key)


def get_customer(who: Caller, customer_id: int) -> Customer:
    """The caller's customer, or 404 (another org's or mode's id is indistinguishable from none)."""
    return found(Customer.objects.filter(pk=customer_id, org=who.org, livemode=who.livemode).first(), "cliente")


@router.post("/customers", response={201: CustomerOut, **WRITE_ERRORS}, summary="Crear un cliente")
@idempotent()
def create(request: HttpRequest, payload: CustomerIn) -> tuple[int, CustomerOut]:
    """Crea un cliente. RFC, nombre, régimen, código postal y uso CFDI se validan contra los catálogos del SAT."""
    who = caller(request)
    customer = create_customer(who.org, payload.model_dump(), livemode=who.livemode, as_of=timezone.now(),
                               actor=who.actor, source="api")
    return 201, CustomerOut.from_orm(customer)


class CustomerSearch(PageParams):
    q: str | None = Field(None, max_length=100, description="Busca en RFC y nombre.")


@router.get("/customers", response={200: Page[CustomerOut], **ERRORS}, summary="Listar clientes")
def list_customers(request: HttpRequest, params: Query[CustomerSearch]) -> dict[str, Any]:
    """Clientes, del más reciente al más antiguo."""
    who = caller(request)
    rows = Customer.objects.filter(org=who.org, livemode=who.livemode)
    if params.q:
        rows = rows.filter(Q(rfc__icontains=params.q.strip()) | Q(nombre__icontains=params.q.strip()))
    return paginate(rows, params).as_page()


@router.get("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Consultar un cliente")
def retrieve(request: HttpRequest, customer_id: int) -> Customer:
    return get_customer(caller(request), customer_id)


@router.patch("/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="Actualizar un cliente")
def update(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Customer:
    """Cambia solo los campos enviados (`null` = sin cambio). Las facturas detenidas por datos del
    cliente salen al reintentarlas (POST /invoices/{id}/retry)."""
    who = caller(request)
    customer = get_customer(who, customer_id)
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return update_customer(customer, changes, as_of=timezone.now(), actor=who.actor, source="api")
