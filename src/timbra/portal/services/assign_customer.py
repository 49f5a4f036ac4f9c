"""Staff give a waiting payment its customer from the Cobro page: an existing customer of the
org and mode, or one created from the data they type. The payment (and everything else that
waited for that customer) is invoiced at once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from timbra import jobs
from timbra.customers.models import Customer
from timbra.customers.services import create_customer
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import Payment
from timbra.portal import audit
from timbra.portal.models import PortalEvent

NOT_WAITING = "Este cobro ya no espera datos fiscales; recarga la página."


def assign_customer(payment: Payment, *, actor: str, as_of: datetime, customer: Customer | None = None,
                    data: dict[str, Any] | None = None) -> Customer:
    """Give `payment` an existing `customer` (same org and mode) or a new one from `data`."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("org").get(pk=payment.pk)
        if locked.status not in (Payment.AWAITING_FISCAL_DATA, Payment.FAILED) or locked.invoice_id:
            raise InvoicingError("payment_not_waiting", NOT_WAITING)
        if locked.status == Payment.AWAITING_FISCAL_DATA and locked.customer_id is not None:
            # The payer just gave their data on the portal and the charge is being invoiced.
            raise InvoicingError("payment_not_waiting", NOT_WAITING)
        if customer is None:
            email = str((locked.fiscal_data or {}).get("email", "")).strip()
            customer = create_customer(locked.org, {"emails": [email] if email else [], **(data or {})},
                                       livemode=locked.livemode, as_of=as_of)
        elif customer.org_id != locked.org_id or customer.livemode != locked.livemode:
            raise InvoicingError("customer_not_found", "No se encontró el cliente.", field="customer")
        Payment.objects.filter(pk=locked.pk).update(customer=customer, updated_at=as_of)
        audit.record(locked.org, PortalEvent.CUSTOMER_ASSIGNED, actor=actor, as_of=as_of, customer=customer,
                     payment=locked)
        jobs.enqueue_on_commit("portal.release", customer_id=customer.pk)
    return customer
