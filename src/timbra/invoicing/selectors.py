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
    # An uncorrelated IN (one hashed set), not a join + DISTINCT over every column: with years of
    # history the join made the count seconds long (issue 13, bench/dashboard_scale.py).
    failed = Delivery.objects.filter(status=Delivery.FAILED, invoice__org=org).values("invoice_id")
    return invoices_for(org, livemode=livemode).filter(
        Q(status=InvoiceStatus.HELD)
        | Q(status=InvoiceStatus.SEALED, stamp_attempts__gte=FAILING_AFTER_ATTEMPTS)
        | Q(pk__in=failed)
        | Q(cancellation_requested_at__isnull=False, status__in=(InvoiceStatus.SEALED, *ISSUED))
        # a cancellation the receptor rejected or the PAC/SAT refused (issue 11): the CFDI is still valid
        | Q(cancellation_status__in=(Step.REJECTED, Step.REFUSED), status__in=ISSUED)
    )


def needs_attention_count(org: Org, *, livemode: bool) -> int:
    """How many invoices `needs_attention` lists, as a UNION of indexed pieces: one OR over years
    of history scans every invoice (issue 13, bench/dashboard_scale.py)."""
    base = Invoice.objects.filter(org=org, livemode=livemode)
    failed = Delivery.objects.filter(status=Delivery.FAILED, invoice__org=org).values("invoice_id")
    pieces = [
        base.filter(status=InvoiceStatus.HELD),
        base.filter(status=InvoiceStatus.SEALED, stamp_attempts__gte=FAILING_AFTER_ATTEMPTS),
        base.filter(pk__in=failed),
        base.filter(cancellation_requested_at__isnull=False, status__in=(InvoiceStatus.SEALED, *ISSUED)),
        base.filter(cancellation_status__in=(Step.REJECTED, Step.REFUSED), status__in=ISSUED),
    ]
    first, *rest = (piece.values("pk") for piece in pieces)
    return first.union(*rest).count()


def get_invoice(org: Org, invoice_id: int, *, livemode: bool) -> Invoice | None:
    return invoices_for(org, livemode=livemode).filter(pk=invoice_id).first()
