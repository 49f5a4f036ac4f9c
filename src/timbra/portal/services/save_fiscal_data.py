"""The customer saves their fiscal data on the portal; what waited for it goes out at once.

Same validation as the dashboard (customers.services → domain.taxpayer.validate_fiscal_data).
A payment link whose payer has no customer yet creates one (with the payment's email), never
updates an existing customer found by RFC: whoever holds a payment link must not be able to
change somebody else's data by typing their RFC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from timbra import jobs
from timbra.customers.models import Customer
from timbra.customers.services import FISCAL_FIELDS, create_customer, update_customer
from timbra.domain.taxpayer import is_generic_rfc, normalize_rfc
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import Payment
from timbra.portal import audit
from timbra.portal.links import Subject
from timbra.portal.models import PortalEvent

GENERIC_RFC = ("Escribe tu propio RFC. El RFC genérico XAXX010101000 es para ventas al público en general; "
               "si no necesitas factura a tu nombre, no tienes que hacer nada.")


def save_fiscal_data(subject: Subject, data: dict[str, Any], *, as_of: datetime) -> Customer:
    """Validate and save the subject's fiscal data, then release (on commit) every payment and
    held invoice of that customer that waited for it. InvoicingError (code, Spanish message,
    field) when the data is not valid; nothing is saved then."""
    values = {k: str(data.get(k, "")).strip() for k in FISCAL_FIELDS}
    if is_generic_rfc(normalize_rfc(values["rfc"])):
        raise InvoicingError("rfc_generic", GENERIC_RFC, field="rfc")
    with transaction.atomic():
        if subject.customer is not None:
            customer = update_customer(_locked(subject.customer), values, as_of=as_of)
        else:
            customer = _create_for_payment(subject, values, as_of=as_of)
        audit.record(subject.org, PortalEvent.FISCAL_DATA_SAVED, actor=audit.CUSTOMER_ACTOR, as_of=as_of,
                     customer=customer, payment=subject.payment, fields=sorted(values))
        jobs.enqueue_on_commit("portal.release", customer_id=customer.pk)
    return customer


def _locked(customer: Customer) -> Customer:
    return Customer.objects.select_for_update().select_related("org").get(pk=customer.pk)


def _create_for_payment(subject: Subject, values: dict[str, str], *, as_of: datetime) -> Customer:
    assert subject.payment is not None
    payment = Payment.objects.select_for_update().get(pk=subject.payment.pk)
    if payment.customer_id is not None:  # a second tab, or a double click: that customer it is
        return update_customer(_locked(payment.customer), values, as_of=as_of)  # type: ignore[arg-type]
    email = str((payment.fiscal_data or {}).get("email", "")).strip()
    customer = create_customer(subject.org, {**values, "emails": [email] if email else []},
                               livemode=payment.livemode, as_of=as_of)
    Payment.objects.filter(pk=payment.pk, customer__isnull=True).update(customer=customer, updated_at=as_of)
    return customer
