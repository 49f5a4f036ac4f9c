"""Invoice a recorded payment: one Ingreso PUE whose business key is the gateway's money.

Also the hook for the portal (timbra.portal.services.release, once a customer gives their fiscal
data) and the factura global, which call `invoice_payment` again for payments in
"awaiting_fiscal_data"; it is idempotent, because `create_invoice` returns the existing
invoice for (org, source, source_id) instead of a second one (reliability.md §1.2 (c)).
"""

from __future__ import annotations

from datetime import datetime

from timbra import jobs
from timbra.domain.invoicing_rules import RuleOutcome
from timbra.globalinvoice.services.claims import ReceiptInGlobal, claim_for_nominative
from timbra.globalinvoice.services.receipts import open_receipt
from timbra.invoicing.create import create_invoice
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.payments.rules.apply import build_request, decide, skip_reason
from timbra.payments.services.match_customer import match_customer
from timbra.payments.services.settle_open_invoice import settle_open_invoice


def invoice_payment(payment_id: int, *, as_of: datetime) -> Payment:
    """Create (or find) the invoice of a payment; else leave it visibly waiting, with the reason."""
    payment = Payment.objects.select_related("org", "connection").get(pk=payment_id)
    if payment.status == Payment.INVOICED or not payment.invoiceable:
        return payment
    outcome = decide(payment)  # the org's invoicing rules, first match wins
    if not outcome.decision.invoice:
        return _set_status(payment, Payment.NOT_INVOICED, skip_reason(outcome), as_of=as_of)
    match = match_customer(payment, as_of=as_of)
    if match.customer is None:
        # Not invoiced nominatively (yet): it gets a receipt code for autofactura, and the
        # global invoice of its period takes it if nobody claims it (globalinvoice/). The chase
        # loop (timbra.portal) emails the payer the portal link at once (one email per payment,
        # an outbox row with a unique key), then the org's reminders. Queued after the status is
        # written: outside a transaction on_commit runs at once.
        open_receipt(payment, as_of=as_of)
        waiting = _set_status(payment, Payment.AWAITING_FISCAL_DATA, match.reason, as_of=as_of)
        jobs.enqueue_on_commit("portal.request_fiscal_data", payment_id=payment.pk)
        return waiting
    # Money reported as a sale to invoice (POST /payments purpose "invoice", CSV) said so explicitly:
    # the caller applies money to open PPD invoices with purpose "apply" instead.
    if payment.provider != "external" and (
        applied := settle_open_invoice(payment, match.customer, as_of=as_of)
    ) is not None:
        return applied  # it paid an open PPD invoice: recorded with its REP, not invoiced again
    try:
        invoice = create_invoice(
            payment.org,
            _request(payment, outcome, customer_id=match.customer.pk, uso=match.uso_cfdi),
            livemode=payment.livemode,
            as_of=as_of,
            actor=payment.provider,
            # Its receipt, if any, is reserved in the invoice's own transaction, so the global
            # invoice and this CFDI can never both include the payment.
            in_transaction=lambda _invoice: claim_for_nominative(payment, as_of=as_of),
        )
    except ReceiptInGlobal as exc:
        return _set_status(payment, Payment.AWAITING_FISCAL_DATA, exc.message, as_of=as_of)
    except InvoicingError as exc:
        return _set_status(
            payment, Payment.FAILED, f"No se pudo crear la factura: {exc.message}", as_of=as_of
        )
    return mark_invoiced(payment, invoice, customer_id=match.customer.pk, as_of=as_of)


def mark_invoiced(payment: Payment, invoice: Invoice, *, customer_id: int, as_of: datetime) -> Payment:
    """Record the payment's invoice (every worker that gets here got the same invoice)."""
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.INVOICED, status_reason="", invoice=invoice, customer_id=customer_id, updated_at=as_of
    )
    payment.refresh_from_db()
    return payment


def _request(payment: Payment, outcome: RuleOutcome, *, customer_id: int, uso: str) -> InvoiceInput:
    # Shaped by the matched invoicing rule (payments/rules), or the connection's defaults.
    return build_request(payment, outcome, customer_id=customer_id, uso=uso)


def _set_status(payment: Payment, status: str, reason: str, *, as_of: datetime) -> Payment:
    # Never overwrite "invoiced": a concurrent worker may have finished first.
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.INVOICED).update(
        status=status, status_reason=reason, updated_at=as_of
    )
    payment.refresh_from_db()
    return payment
