"""Release what waited for a customer's fiscal data: their payments waiting in
"awaiting_fiscal_data" are invoiced, their held invoices go back through sealing and stamping.

Idempotent (it is a job): invoice_payment returns the payment's one invoice on a repeat, and
retry_invoice only moves invoices that are still held.
"""

from __future__ import annotations

from datetime import datetime

from timbra.customers.models import Customer
from timbra.invoicing.actions import retry_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import Payment
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.portal.audit import CUSTOMER_ACTOR
from timbra.portal.selectors import held_invoices, waiting_payments_with_email

LIMIT = 200  # a customer's backlog; anything beyond goes on the next save or the sweeper


def release_waiting(customer_id: int, *, as_of: datetime) -> dict[str, int]:
    """Invoice the customer's waiting payments and retry their held invoices. Returns counts."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return {"payments": 0, "invoices": 0}
    payments = Payment.objects.filter(org_id=customer.org_id, livemode=customer.livemode, customer=customer,
                                      status__in=(Payment.AWAITING_FISCAL_DATA, Payment.FAILED))
    # The same payer's other waiting payments that carry one of the customer's emails: the
    # customer matcher finds them by email now that the customer exists.
    by_email = [p.pk for email in customer.emails for p in waiting_payments_with_email(customer.org_id, email)
                if p.livemode == customer.livemode]
    ids = sorted({*payments.values_list("pk", flat=True)[:LIMIT], *by_email[:LIMIT]})
    for payment_id in ids:
        invoice_payment(payment_id, as_of=as_of)
    released = len(ids)
    retried = 0
    for invoice in held_invoices(customer)[:LIMIT]:
        try:
            retry_invoice(invoice, actor=CUSTOMER_ACTOR, as_of=as_of)
        except InvoicingError:
            continue  # moved meanwhile (another release, a person): nothing to do
        retried += 1
    return {"payments": released, "invoices": retried}
