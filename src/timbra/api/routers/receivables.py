"""/payments: payments received against PPD invoices, their REPs, and the REPs coming due; with
purpose "invoice", a sale paid in full to invoice (timbra.api.routers.gateways.invoice_sale)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router
from pydantic import Field

from timbra.api.auth import Caller, api_key, caller
from timbra.api.idempotency import HEADER, idempotent
from timbra.api.pagination import Page, PageParams, paginate, where
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.routers.gateways import invoice_sale
from timbra.api.schemas.gateways import GatewayPaymentOut
from timbra.api.schemas.receivables import DueRepsOut, PaymentIn, PaymentOut, PaymentSummary
from timbra.customers.models import Customer
from timbra.invoicing.errors import NotFound, found
from timbra.invoicing.models import Invoice
from timbra.receivables import selectors
from timbra.receivables.allocation import ApplicationInput
from timbra.receivables.dates import fecha_pago_instant as _fecha_pago
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.services.record_payment import record_payment

router = Router(tags=["Pagos recibidos y complementos de pago"], auth=api_key)

SOURCE = "api"


def get_payment(who: Caller, payment_id: int) -> ReceivedPayment:
    """The caller's payment (same org and mode) with its applications, or 404."""
    payment = found(selectors.get_payment(who.org, payment_id, livemode=who.livemode), "pago")
    selectors.with_rep_deadlines(who.org, [payment])
    return payment


def _applications(who: Caller, payload: PaymentIn) -> list[ApplicationInput] | None:
    if payload.applications is None:
        return None
    ids = [a.invoice_id for a in payload.applications]
    invoices = {i.pk: i for i in Invoice.objects.filter(pk__in=ids, org=who.org, livemode=who.livemode)}
    missing = [i for i in ids if i not in invoices]
    if missing:
        raise NotFound(f"factura {missing[0]}")
    return [ApplicationInput(invoice=invoices[a.invoice_id], imp_pagado=a.amount, equivalencia_dr=a.equivalencia_dr)
            for a in payload.applications]


@router.post("/payments", response={200: PaymentOut | GatewayPaymentOut, 201: PaymentOut | GatewayPaymentOut,
                                     **WRITE_ERRORS}, summary="Registrar un pago recibido")
@idempotent(atomic=False)
def create(request: HttpRequest, payload: PaymentIn) -> tuple[int, PaymentOut | GatewayPaymentOut]:
    """El único lugar para reportar dinero recibido. Con `purpose` «apply» (por omisión) registra un pago de
    facturas PPD timbradas del cliente y encola su complemento de pago (REP), que se sella, timbra y envía
    como cualquier CFDI: consulta `rep.status` en GET /payments/{id}. Las facturas PUE no reciben pagos: se
    consideran pagadas al emitirse. Con `purpose` «invoice» registra una venta ya pagada y la factura como
    PUE (igual que un cargo de Stripe); la respuesta es el pago de GET /gateway-payments/{id}.
    Responde 201 al registrarlo; 200 con el pago existente si el `external_id` (o la Idempotency-Key)
    ya registró uno; 409 `external_id_conflict` si ese external_id registró otro monto."""
    who = caller(request)
    now = timezone.now()
    if payload.purpose == "invoice":
        return invoice_sale(who, payload, paid_at=_fecha_pago(payload.fecha_pago, ZoneInfo(who.org.timezone), now),
                            as_of=now)
    customer = found(Customer.objects.filter(pk=payload.customer_id, org=who.org, livemode=who.livemode).first(),
                     "cliente")
    # The payment's business key: the caller's external id, else the Idempotency-Key, so a retry
    # after a crash between recording and answering still finds the same payment.
    key = request.headers.get(HEADER)
    source_id = f"ext:{payload.external_id}" if payload.external_id else (f"key:{key}" if key else "")
    payment, created = record_payment(
        who.org, customer=customer, fecha_pago=_fecha_pago(payload.fecha_pago, ZoneInfo(who.org.timezone), now),
        forma_de_pago=payload.forma_de_pago, monto=payload.monto, moneda=payload.moneda.upper(),
        tipo_cambio=payload.tipo_cambio, applications=_applications(who, payload), reference=payload.reference,
        source=SOURCE if source_id else "", source_id=source_id, as_of=now, actor=who.actor,
    )
    return (201 if created else 200), PaymentOut.from_orm(get_payment(who, payment.pk))


class PaymentFilters(PageParams):
    customer_id: int | None = None
    invoice_id: int | None = Field(None, description="Solo pagos aplicados a esta factura.")


@router.get("/payments", response={200: Page[PaymentSummary], **ERRORS}, summary="Listar pagos recibidos")
def list_payments(request: HttpRequest, params: Query[PaymentFilters]) -> dict[str, Any]:
    """Pagos recibidos, del más reciente al más antiguo, con el estado de su complemento."""
    who = caller(request)
    rows = where(selectors.payments_for(who.org, livemode=who.livemode), customer_id=params.customer_id)
    if params.invoice_id is not None:  # through the applications: distinct, one row per payment
        rows = rows.filter(applications__invoice_id=params.invoice_id).distinct()
    page = paginate(rows, params)
    selectors.with_rep_deadlines(who.org, page.rows)
    return page.as_page()


@router.get("/payments/due-reps", response={200: DueRepsOut, **ERRORS}, summary="Complementos por emitir")
def due_reps(request: HttpRequest) -> dict[str, Any]:
    """Pagos cuyo complemento de pago aún no se timbra (borrador, sellado o detenido), con su fecha límite:
    el día configurado (5 por omisión) del mes siguiente al pago. El más urgente primero."""
    who = caller(request)
    return {
        "deadline_day": selectors.settings_for(who.org).rep_deadline_day,
        "data": selectors.reps_due(who.org, as_of=timezone.now(), livemode=who.livemode),
    }


@router.get("/payments/{payment_id}", response={200: PaymentOut, **ERRORS}, summary="Consultar un pago")
def retrieve(request: HttpRequest, payment_id: int) -> ReceivedPayment:
    """El pago, a qué facturas se aplicó (parcialidad, saldo anterior, pagado, saldo insoluto) y su
    complemento de pago: estado, UUID, motivo si está detenido."""
    return get_payment(caller(request), payment_id)
