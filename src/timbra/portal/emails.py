"""The portal's emails (es-MX), composed for the notices outbox (timbra.notices): the request for
fiscal data of the chase loop, the "correct your data" email of an invoice held for it, and the
link a person asked for on the business's public page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.notices.compose import Composed
from timbra.notices.models import NoticeLog
from timbra.orgs.models import Org
from timbra.payments.models import Payment
from timbra.portal import selectors
from timbra.portal.links import fiscal_data_url, payment_url
from timbra.portal.services.chase import chase_deadline


def compose(row: NoticeLog, *, as_of: datetime) -> Composed:
    if row.kind == NoticeLog.FISCAL_DATA_REQUEST:
        return compose_fiscal_data_request(row, as_of=as_of)
    if row.kind == NoticeLog.HELD_FISCAL_DATA:
        return compose_held_invoice(row, as_of=as_of)
    return compose_portal_link(row, as_of=as_of)


def compose_held_invoice(row: NoticeLog, *, as_of: datetime) -> Composed:
    """"Tu factura no se pudo timbrar: corrige tus datos fiscales aquí" (once per held invoice)."""
    invoice = Invoice.objects.select_related("org", "customer").get(pk=row.invoice_id)
    if invoice.status != InvoiceStatus.HELD:
        return Composed(skip="La factura ya no está detenida.")
    recipients = [email for email in invoice.customer.emails if email]
    if not recipients:
        return Composed(skip="El cliente no tiene correo registrado.")
    org = invoice.org
    context = {"invoice": invoice, "customer": invoice.customer, "reason": invoice.hold_message,
               "url": fiscal_data_url(invoice.customer, as_of=as_of)}
    message = _message(org, f"{org.nombre}: corrige tus datos fiscales para recibir tu factura", "held_invoice",
                       context, recipients, f"{row.kind}:{invoice.pk}")
    return Composed(message=message, recipients=recipients)


def _message(org: Org, subject: str, template: str, context: dict[str, object], to: list[str],
             header: str) -> EmailMultiAlternatives:
    context = {"org": org, **context}
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"portal/email/{template}.txt", context),
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=to,
                                     reply_to=[org.email] if org.email else None,
                                     headers={"X-Timbra-Notice": header})
    message.attach_alternative(render_to_string(f"portal/email/{template}.html", context), "text/html")
    return message


def compose_fiscal_data_request(row: NoticeLog, *, as_of: datetime) -> Composed:
    """"Tu pago de $X: danos tus datos fiscales para facturarlo" (first email or a reminder)."""
    payment = Payment.objects.select_related("org", "customer").get(pk=row.payment_id)
    from timbra.portal.services.chase import still_chased

    if not still_chased(payment):
        # The data arrived, or the global invoice (or an autofactura) took the charge: the chase is over.
        return Composed(skip="El cobro ya no espera datos fiscales.")
    email = str((payment.fiscal_data or {}).get("email", "")).strip()
    recipients = [email] if email else list(payment.customer.emails if payment.customer else [])
    if not recipients:
        return Composed(skip="El cobro no trae correo del cliente: asígnale un cliente desde la página del cobro.")
    url = (fiscal_data_url(payment.customer, as_of=as_of) if payment.customer is not None
           else payment_url(payment, as_of=as_of))
    org = payment.org
    reminder = bool(row.index)
    subject = (f"Recordatorio: tus datos fiscales para facturar tu pago a {org.nombre}" if reminder
               else f"{org.nombre}: ¿necesitas factura de tu pago? Danos tus datos fiscales")
    context = {"payment": payment, "url": url, "reminder": reminder,
               "deadline": chase_deadline(payment), "nombre": (payment.fiscal_data or {}).get("nombre", ""),
               **_receipt_context(payment)}
    message = _message(org, subject, "fiscal_data_request", context, recipients,
                       f"{row.kind}:{payment.pk}:{row.index or 0}")
    return Composed(message=message, recipients=recipients)


def _receipt_context(payment: Payment) -> dict[str, str]:
    """The payment's receipt code (issue 12 §3: it goes in the payment email), to self-invoice it
    on the autofactura page; nothing when the payment has no receipt."""
    from timbra.globalinvoice.models import Receipt
    from timbra.globalinvoice.selectors import autofactura_url, display_code

    receipt = Receipt.objects.filter(payment_id=payment.pk).first()
    if receipt is None:
        return {}
    return {"receipt_code": display_code(receipt.code), "autofactura_url": autofactura_url(receipt)}


def compose_portal_link(row: NoticeLog, *, as_of: datetime) -> Composed:
    """The links of whoever has this email at this org; nothing is sent when nobody has it."""
    org = Org.objects.get(pk=row.org_id)
    (email,) = row.recipients
    links = [(c, fiscal_data_url(c, as_of=as_of)) for c in selectors.customers_with_email(org.pk, email)]
    links += [(p, payment_url(p, as_of=as_of)) for p in selectors.waiting_payments_with_email(org.pk, email)]
    if not links:
        return Composed(skip="Ningún cliente ni cobro tiene ese correo.")
    message = _message(org, f"Tu enlace para tus datos fiscales y facturas de {org.nombre}", "portal_link",
                       {"links": [url for _, url in links]}, [email], f"{row.kind}:{org.pk}")
    return Composed(message=message, recipients=[email])
