"""Reads for the portal, always through the link's subject: one customer (or one waiting
payment) of one org and mode. Nothing here takes an org or customer id from the request."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from timbra.customers.models import Customer
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.portal.links import Subject

# What the customer sees as their invoices: every CFDI that reached the PAC.
STAMPED_STATUSES = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED, InvoiceStatus.CANCELLED)
IN_PROGRESS_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.SEALED)


def invoices_of(customer: Customer) -> QuerySet[Invoice]:
    """The customer's CFDIs (with a UUID), newest first."""
    return (Invoice.objects.filter(org_id=customer.org_id, livemode=customer.livemode, customer=customer)
            .exclude(uuid__isnull=True).filter(status__in=STAMPED_STATUSES)
            .order_by("-stamped_at", "-pk"))


def invoice_of(customer: Customer, invoice_id: int) -> Invoice | None:
    """One CFDI of this customer (another customer's id is indistinguishable from none)."""
    return invoices_of(customer).filter(pk=invoice_id).select_related("org").first()


def invoices_between(customer: Customer, start: date, end: date, tz: ZoneInfo) -> QuerySet[Invoice]:
    """The customer's CFDIs stamped on the local days start..end (inclusive)."""
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return invoices_of(customer).filter(stamped_at__gte=since, stamped_at__lt=until).select_related("org")


def waiting_payments(subject: Subject) -> QuerySet[Payment]:
    """Payments that wait for this customer's fiscal data: the link's own payment, and the
    customer's (or, before the customer exists, none other: a payer sees only their payment)."""
    query = Q(pk=subject.payment.pk) if subject.payment is not None else Q(pk__in=[])
    if subject.customer is not None:
        query |= Q(customer=subject.customer)
    return (Payment.objects.filter(org=subject.org, livemode=subject.livemode, status=Payment.AWAITING_FISCAL_DATA)
            .filter(query).order_by("paid_at", "pk"))


def held_invoices(customer: Customer) -> QuerySet[Invoice]:
    return Invoice.objects.filter(org_id=customer.org_id, livemode=customer.livemode, customer=customer,
                                  status=InvoiceStatus.HELD).order_by("created_at", "pk")


def in_progress_invoices(customer: Customer) -> QuerySet[Invoice]:
    """Invoices on their way to the PAC (what the page polls for after a save)."""
    return Invoice.objects.filter(org_id=customer.org_id, livemode=customer.livemode, customer=customer,
                                  status__in=IN_PROGRESS_STATUSES).order_by("created_at", "pk")


def customers_with_email(org_id: int, email: str) -> list[Customer]:
    """Customers of the org (both modes) that list `email` (exact, case-insensitive)."""
    email = email.strip().lower()
    found = Customer.objects.filter(org_id=org_id, emails__icontains=email).order_by("pk")
    return [c for c in found if email in (e.lower() for e in c.emails)]


def waiting_payments_with_email(org_id: int, email: str) -> list[Payment]:
    """Payments of the org waiting for fiscal data whose gateway data carries `email`."""
    email = email.strip().lower()
    found = Payment.objects.filter(org_id=org_id, status=Payment.AWAITING_FISCAL_DATA, customer__isnull=True,
                                   fiscal_data__icontains=email).order_by("pk")
    return [p for p in found if str((p.fiscal_data or {}).get("email", "")).strip().lower() == email]
