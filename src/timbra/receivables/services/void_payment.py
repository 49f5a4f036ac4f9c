"""void_payment: undo a payment recorded by mistake, before its REP reaches the SAT."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra.domain.status import InvoiceStatus
from timbra.invoicing.actions import discard_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.receivables.models import PaymentApplication, ReceivedPayment

VOIDABLE_REP = (InvoiceStatus.DRAFT, InvoiceStatus.HELD, InvoiceStatus.CANCELLED)


def void_payment(payment: ReceivedPayment, *, actor: str, as_of: datetime) -> ReceivedPayment:
    """Cancel the payment and discard its unstamped REP; the invoices' balances reopen and
    their parcialidades may be issued again. A stamped REP must be cancelled at the SAT
    (with a motive and, for a correction, a substitute), which this does not do."""
    rep = payment.rep_invoice
    if payment.status == ReceivedPayment.CANCELLED:
        return payment
    if rep is not None and rep.status not in VOIDABLE_REP:
        raise InvoicingError(
            "rep_already_issued",
            f"El complemento de pago {rep.serie_folio} ya se selló o timbró: para anular el pago hay que "
            "cancelar el complemento ante el SAT.",
        )
    with transaction.atomic():
        if not ReceivedPayment.objects.filter(pk=payment.pk, status=ReceivedPayment.RECORDED).update(
            status=ReceivedPayment.CANCELLED
        ):
            payment.refresh_from_db()
            return payment
        PaymentApplication.objects.filter(payment=payment).update(active=False)
        if rep is not None and rep.status != InvoiceStatus.CANCELLED:
            # Compare-and-swap inside: if the pipeline sealed it meanwhile, this raises and
            # the whole void rolls back.
            discard_invoice(rep, actor=actor, as_of=as_of)
    payment.status = ReceivedPayment.CANCELLED
    return payment
