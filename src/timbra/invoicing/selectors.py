"""Read queries for invoices. Always scoped to one org and mode."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from timbra.delivery.models import Delivery
from timbra.domain.cancellation import Step
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org

FAILING_AFTER_ATTEMPTS = 3
ISSUED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)


def invoices_for(org: Org, *, livemode: bool) -> QuerySet[Invoice]:
    return Invoice.objects.filter(org=org, livemode=livemode).select_related("customer").order_by("-created_at", "-pk")


def needs_attention(org: Org, *, livemode: bool) -> QuerySet[Invoice]:
    """Held invoices, stamping that keeps failing, emails that could not be delivered, and
    issued CFDIs flagged for cancellation (e.g. their Stripe invoice was voided)."""
    return invoices_for(org, livemode=livemode).filter(
        Q(status=InvoiceStatus.HELD)
        | Q(status=InvoiceStatus.SEALED, stamp_attempts__gte=FAILING_AFTER_ATTEMPTS)
        | Q(deliveries__status=Delivery.FAILED)
        | Q(cancellation_requested_at__isnull=False, status__in=(InvoiceStatus.SEALED, *ISSUED))
        # a cancellation the receptor rejected or the PAC/SAT refused (issue 11): the CFDI is still valid
        | Q(cancellation_status__in=(Step.REJECTED, Step.REFUSED), status__in=ISSUED)
    ).distinct()


def get_invoice(org: Org, invoice_id: int, *, livemode: bool) -> Invoice | None:
    return invoices_for(org, livemode=livemode).filter(pk=invoice_id).first()
