"""/gateway-payments/{id}/receipt: the receipt code of a payment not invoiced nominatively,
for a point of sale to print on the ticket (autofactura, globalinvoice/)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema

from timbra.api.auth import api_key, caller
from timbra.api.routers import ERRORS
from timbra.api.routers.gateways import get_gateway_payment
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.selectors import autofactura_url, display_code
from timbra.invoicing.errors import found

router = Router(tags=["Autofactura y factura global"], auth=api_key)


class ReceiptOut(Schema):
    code: str
    autofactura_url: str
    status: str
    number: str
    claim_deadline: datetime
    closes_at: datetime
    global_invoice_id: int | None


@router.get("/gateway-payments/{gateway_payment_id}/receipt", response={200: ReceiptOut, **ERRORS},
            summary="Código de autofactura de un pago")
def retrieve_receipt(request: HttpRequest, gateway_payment_id: int) -> ReceiptOut:
    """El código que el cliente escribe en la página de autofactura (imprímelo en el ticket), con su
    plazo y, si ya pasó, la factura global que lo incluyó. 404 si el pago se facturó a nombre del
    cliente desde el principio."""
    payment = get_gateway_payment(caller(request), gateway_payment_id)
    receipt = found(Receipt.objects.filter(payment=payment).first(), "ticket")
    return ReceiptOut(
        code=display_code(receipt.code), autofactura_url=autofactura_url(receipt), status=receipt.status,
        number=receipt.number, claim_deadline=receipt.claim_deadline, closes_at=receipt.closes_at,
        global_invoice_id=receipt.global_invoice_id,
    )  # fmt: skip
