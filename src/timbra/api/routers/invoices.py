"""/invoices: create (asynchronous stamping), follow, correct while held, retry, discard, download XML and PDF."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from timbra.api.auth import Caller, api_key, caller
from timbra.api.errors import ApiError
from timbra.api.idempotency import HEADER, idempotent, store_with_work
from timbra.api.pagination import Page, PageParams, paginate, where
from timbra.api.routers import ERRORS, WRITE_ERRORS
from timbra.api.schemas.invoices import InvoiceFilters, InvoiceIn, InvoiceOut, InvoiceSummary
from timbra.invoicing.actions import discard_invoice, retry_invoice
from timbra.invoicing.create import create_invoice
from timbra.invoicing.documents import ensure_pdf
from timbra.invoicing.edit import edit_held_invoice
from timbra.invoicing.errors import found
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.selectors import invoices_for

router = Router(tags=["Facturas"], auth=api_key)

NOT_STAMPED = ApiError(409, "not_stamped", "La factura aún no está timbrada: el XML timbrado y el PDF existen "
                       "hasta que el PAC le asigna un folio fiscal (UUID).")


def get_invoice(who: Caller, invoice_id: int, *, detail: bool = False) -> Invoice:
    """The caller's invoice (same org and mode) or 404."""
    rows = invoices_for(who.org, livemode=who.livemode).select_related("org")
    if detail:
        rows = rows.prefetch_related("lines", "deliveries", "events")
    return found(rows.filter(pk=invoice_id).first(), "comprobante")


def detail(who: Caller, invoice_id: int) -> InvoiceOut:
    """The full invoice, resolved (for handlers that render their own response)."""
    return InvoiceOut.from_orm(get_invoice(who, invoice_id, detail=True))


@router.post("/invoices", response={202: InvoiceOut, **WRITE_ERRORS}, summary="Crear una factura")
@idempotent(stores_with_work=True)
def create(request: HttpRequest, payload: InvoiceIn) -> tuple[int, InvoiceOut] | HttpResponse:
    """Crea la factura en borrador con su serie y folio y la encola para sellar, timbrar y enviar.
    Responde 202: consulta GET /invoices/{id} para ver cuándo queda timbrada (o detenida y por qué)."""
    who = caller(request)
    request_input = payload.to_input()
    if key := request.headers.get(HEADER):
        # The Idempotency-Key is also the invoice's unique business key, so even a retry
        # after a crash between creating and recording the response finds the same invoice.
        mode = "live" if who.livemode else "test"
        request_input = replace(request_input, source="api", source_id=f"{mode}:{key}")
    # No lookup first (expect_new): a key seen before collapses on the invoice's unique business
    # key, and idempotency.run answers from the key's record.
    answered: list[HttpResponse] = []

    def answer(invoice: Invoice) -> None:
        # Inside the invoice's transaction: the key's stored answer commits with the invoice.
        # Just created, so answered from memory (no read-back).
        answered.append(store_with_work((202, InvoiceOut.from_orm(invoice))))

    invoice = create_invoice(who.org, request_input, livemode=who.livemode, as_of=timezone.now(),
                             actor=who.actor, expect_new=bool(key), in_transaction=answer)
    if answered:
        return answered[0]
    return 202, detail(who, invoice.pk)


@router.get("/invoices", response={200: Page[InvoiceSummary], **ERRORS}, summary="Listar facturas")
def list_invoices(request: HttpRequest, params: Query[PageParams],
                  filters: Query[InvoiceFilters]) -> dict[str, Any]:
    """Facturas, de la más reciente a la más antigua. Filtros: status, customer_id, created_from, created_to."""
    who = caller(request)
    return paginate(_filtered(invoices_for(who.org, livemode=who.livemode), filters, who), params).as_page()


def _filtered(rows: QuerySet[Invoice], filters: InvoiceFilters, who: Caller) -> QuerySet[Invoice]:
    rows = where(rows, status=filters.status, customer_id=filters.customer_id)
    tz = ZoneInfo(who.org.timezone)
    if filters.created_from is not None:
        rows = rows.filter(created_at__gte=_instant(filters.created_from, tz))
    if filters.created_to is not None:
        end = filters.created_to
        if isinstance(end, datetime):
            rows = rows.filter(created_at__lte=_instant(end, tz))
        else:  # a date includes that whole day in the org's time zone
            rows = rows.filter(created_at__lt=_instant(end + timedelta(days=1), tz))
    return rows


def _instant(value: date | datetime, tz: ZoneInfo) -> datetime:
    """Dates and naive datetimes are read in the org's time zone (where its periods live)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value if value.tzinfo else value.replace(tzinfo=tz)


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **ERRORS}, summary="Consultar una factura")
def retrieve(request: HttpRequest, invoice_id: int) -> Invoice:
    """Estado (y su nombre en español), serie y folio, UUID, motivo de retención, importes, partidas,
    envíos e historial."""
    return get_invoice(caller(request), invoice_id, detail=True)


@router.post("/invoices/{invoice_id}/retry", response={200: InvoiceOut, **WRITE_ERRORS},
             summary="Reintentar una factura detenida")
@idempotent()
def retry(request: HttpRequest, invoice_id: int) -> InvoiceOut:
    """Vuelve a enviar una factura detenida al proceso, con los datos corregidos de ahora."""
    who = caller(request)
    retry_invoice(get_invoice(who, invoice_id), actor=who.actor, as_of=timezone.now())
    return detail(who, invoice_id)


@router.post("/invoices/{invoice_id}/discard", response={200: InvoiceOut, **WRITE_ERRORS},
             summary="Descartar una factura sin timbrar")
@idempotent()
def discard(request: HttpRequest, invoice_id: int) -> InvoiceOut:
    """Cancela una factura en borrador o detenida (nunca llegó al SAT). Su folio no se reutiliza."""
    who = caller(request)
    discard_invoice(get_invoice(who, invoice_id), actor=who.actor, as_of=timezone.now())
    return detail(who, invoice_id)


@router.put("/invoices/{invoice_id}", response={200: InvoiceOut, **WRITE_ERRORS},
            summary="Corregir una factura detenida")
@idempotent()
def edit(request: HttpRequest, invoice_id: int, payload: InvoiceIn, retry: bool = True) -> InvoiceOut:
    """Reemplaza cliente, partidas y condiciones de pago de una factura detenida (conserva serie y folio)
    y, salvo `?retry=false`, la vuelve a enviar al proceso."""
    who = caller(request)
    edit_held_invoice(get_invoice(who, invoice_id), payload.to_input(), actor=who.actor, as_of=timezone.now(),
                      retry=retry)
    return detail(who, invoice_id)


@router.get("/invoices/{invoice_id}/xml", response={200: None, 409: ERRORS[404], **ERRORS},
            summary="Descargar el XML", openapi_extra={"responses": {200: {
                "description": "El CFDI timbrado (o sellado con ?sealed=1).",
                "content": {"application/xml": {"schema": {"type": "string"}}}}}})
def xml(request: HttpRequest, invoice_id: int, sealed: bool = False) -> HttpResponse:
    """El CFDI timbrado. Con `?sealed=1`, el XML sellado que se envió al PAC (sin timbre)."""
    who = caller(request)
    invoice = get_invoice(who, invoice_id)
    field = "sealed_xml" if sealed else "stamped_xml"
    content = InvoiceDocument.objects.filter(invoice=invoice).values_list(field, flat=True).first()
    if not content:
        if sealed:
            raise ApiError(409, "not_sealed", "La factura aún no está sellada.")
        raise NOT_STAMPED
    suffix = "_sellado" if sealed else ""
    return _attachment(bytes(content), "application/xml; charset=utf-8", f"{_file_stem(invoice)}{suffix}.xml")


@router.get("/invoices/{invoice_id}/pdf", response={200: None, 409: ERRORS[404], **ERRORS},
            summary="Descargar el PDF", openapi_extra={"responses": {200: {
                "description": "La representación impresa del CFDI.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """La representación impresa del CFDI timbrado (se genera la primera vez y se guarda)."""
    invoice = get_invoice(caller(request), invoice_id)
    if not invoice.uuid:
        raise NOT_STAMPED
    return _attachment(ensure_pdf(invoice), "application/pdf", f"{_file_stem(invoice)}.pdf")


def _file_stem(invoice: Invoice) -> str:
    raw = f"{invoice.org.rfc}_{invoice.serie}{invoice.folio}_{invoice.uuid or invoice.pk}"
    return re.sub(r"[^A-Za-z0-9_-]", "", raw)


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
