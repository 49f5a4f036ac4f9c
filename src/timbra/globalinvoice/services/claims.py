"""The one race a receipt has: its customer asks for their own CFDI while the global invoice
takes it. Both sides move its status by compare-and-swap from "open", inside the transaction
that writes their invoice, so exactly one wins and the loser's invoice rolls back.
"""

from __future__ import annotations

from datetime import datetime

from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import Receipt
from timbra.payments.models import Payment

_CLAIMABLE = (Receipt.OPEN, Receipt.CLAIMED, Receipt.HELD)


class ReceiptInGlobal(GlobalInvoiceError):
    """The receipt is a concepto of a global invoice: no nominative CFDI without the org's policy."""

    def __init__(self, receipt: Receipt) -> None:
        serie_folio = receipt.global_invoice.serie_folio if receipt.global_invoice else ""
        super().__init__(
            "receipt_in_global",
            f"Este cobro ya se incluyó en la factura global {serie_folio} al público en general; "
            "no se puede facturar de nuevo a nombre del cliente.",
        )
        self.receipt = receipt


def claim_for_nominative(payment: Payment, *, as_of: datetime) -> None:
    """Reserve the payment's receipt (if it has one) for its own CFDI; call inside the
    transaction that creates that CFDI. Raises ReceiptInGlobal when the global took it."""
    rows = Receipt.objects.filter(payment_id=payment.pk)
    if rows.filter(status__in=_CLAIMABLE).update(status=Receipt.CLAIMED, status_reason="", updated_at=as_of):
        return
    receipt = rows.select_related("global_invoice").first()
    if receipt is not None:
        raise ReceiptInGlobal(receipt)
