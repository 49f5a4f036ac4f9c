"""A gateway payment that pays an open PPD invoice settles it, instead of becoming a new Ingreso.

Issue 4: "payments recorded through ... a gateway event matched to an open invoice (amount,
reference, customer) mark invoices paid". When the matched customer owes on stamped PPD invoices,
the money is that invoice's payment: it is recorded with `receivables.record_payment` (whose REP
goes through the usual seal → stamp → PDF → email pipeline) and the Payment says so (status
"applied"). Invoicing it again as a PUE Ingreso would bill the customer twice.

Which invoice, in order:
1. an explicit reference in the gateway's metadata (`timbra_invoice`, `timbra_factura`,
   `factura`, `invoice`): the invoice's serie-folio, UUID or Timbra id. A reference that names
   no open invoice of the customer is never guessed around: the payment is invoiced as before.
2. otherwise the amount: exactly one open invoice in the payment's currency whose balance equals
   the payment. Two candidates are ambiguous, so nothing is applied (a person decides).

Exactly once: the ReceivedPayment's business key is (provider, payment key), unique per org and
mode, so a redelivered event, a second worker or a retry after a crash returns the same record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from timbra.customers.models import Customer
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.selectors import open_balance, open_ppd_invoices
from timbra.receivables.services.record_payment import record_payment

# Metadata keys a business may set on the gateway's payment, invoice or customer to say which
# invoice the money pays (first found wins).
REFERENCE_KEYS = ("timbra_invoice", "timbra_factura", "factura", "invoice")


def settle_open_invoice(payment: Payment, customer: Customer, *, as_of: datetime) -> Payment | None:
    """Apply `payment` to the open PPD invoice it pays and return it marked "applied"; None when
    it pays no open invoice (the caller invoices it as a sale). A payment that names an open
    invoice but cannot be applied to it (more than is owed...) is left "failed" with the reason."""
    if payment.status == Payment.APPLIED:
        return payment
    invoice = _target(payment, customer)
    if invoice is None:
        # Another worker may have just applied this very money: its REP took the balance to zero, so
        # nothing looks open any more. Checked after the search, never before (the other worker's
        # commit lands in between), so the money is never invoiced a second time as a sale.
        received = _already_received(payment)
        if received is None:
            return None
        first = received.applications.select_related("invoice").order_by("pk").first()
        return _mark_applied(payment, received, first.invoice, as_of=as_of) if first else None
    try:
        received, _ = record_payment(
            payment.org, customer=customer, fecha_pago=min(payment.paid_at, as_of),
            forma_de_pago=payment.forma_pago, monto=payment.amount, moneda=payment.currency,
            tipo_cambio=payment.exchange_rate if payment.currency != "MXN" else None,
            applications=[(invoice, payment.amount)], reference=_num_operacion(payment),
            source=payment.provider, source_id=payment.key, as_of=as_of, actor=payment.provider,
        )  # fmt: skip
    except InvoicingError as exc:
        reason = f"El pago corresponde a la factura {invoice.serie_folio}, pero no se pudo aplicar: {exc.message}"
        Payment.objects.filter(pk=payment.pk).exclude(status__in=(Payment.INVOICED, Payment.APPLIED)).update(
            status=Payment.FAILED, status_reason=reason, customer_id=customer.pk, updated_at=as_of
        )
        payment.refresh_from_db()
        return payment
    return _mark_applied(payment, received, invoice, as_of=as_of)


def _already_received(payment: Payment) -> ReceivedPayment | None:
    return (ReceivedPayment.objects.filter(org_id=payment.org_id, livemode=payment.livemode, source=payment.provider,
                                           source_id=payment.key).select_related("rep_invoice").first())


def _target(payment: Payment, customer: Customer) -> Invoice | None:
    open_invoices = [
        i for i in open_ppd_invoices(payment.org, customer.pk, livemode=payment.livemode) if open_balance(i) > 0
    ]
    if not open_invoices:
        return None
    references = [r.strip().upper() for r in _references(payment) if r.strip()]
    if references:
        named = [i for i in open_invoices if references[0] in _names(i)]
        return named[0] if named else None
    same = [i for i in open_invoices if i.moneda == payment.currency and open_balance(i) == payment.amount]
    return same[0] if len(same) == 1 else None


def _names(invoice: Invoice) -> set[str]:
    return {invoice.serie_folio.upper(), (invoice.uuid or "").upper(), str(invoice.pk)} - {""}


def _references(payment: Payment) -> list[str]:
    """The reference keys in the metadata of the raw events about this money (the payment's own
    object first: a Stripe invoice.paid carries the Stripe invoice and its metadata)."""
    ids = [i for i in (payment.key, payment.charge_id, payment.payment_intent_id, payment.gateway_invoice_id) if i]
    events = WebhookEvent.objects.filter(org_id=payment.org_id, connection_id=payment.connection_id).filter(
        Q(object_id__in=ids) | Q(payment=payment)
    )
    found = []
    for metadata in _metadata(events.order_by("received_at", "pk").values_list("payload", flat=True)):
        found += [str(metadata[k]) for k in REFERENCE_KEYS if metadata.get(k)]
    return found


def _metadata(payloads: Iterable[str]) -> Iterable[dict[str, object]]:
    for payload in payloads:
        try:
            obj = json.loads(payload)["data"]["object"]
        except (ValueError, KeyError, TypeError):
            continue  # not the layout we know: no reference, never a crash
        if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
            yield obj["metadata"]


def _num_operacion(payment: Payment) -> str:
    # Pagos20 NumOperacion: at most 100 characters and never "|".
    return (payment.charge_id or payment.key).replace("|", "")[:100]


def _mark_applied(payment: Payment, received: ReceivedPayment, invoice: Invoice, *, as_of: datetime) -> Payment:
    rep = received.rep_invoice
    saldo = open_balance(invoice)
    reason = (f"Aplicado a la factura PPD {invoice.serie_folio} (saldo pendiente {saldo:.2f} {invoice.moneda}); "
              f"complemento de pago {rep.serie_folio if rep else ''}.")  # fmt: skip
    Payment.objects.filter(pk=payment.pk).exclude(status=Payment.INVOICED).update(
        status=Payment.APPLIED, status_reason=reason, received_payment=received,
        customer_id=received.customer_id, updated_at=as_of,
    )  # fmt: skip
    payment.refresh_from_db()
    return payment
