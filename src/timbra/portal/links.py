"""Signed, expiring, revocable links to the customer portal (django.core.signing).

The link is the only credential (the customer has no account), so it names one customer of one
org, or one waiting payment of one org (the chase email: its payer has no customer yet), is
signed with the project's secret (any change breaks the signature) and carries when it was
issued and when it expires, both checked against an explicit `as_of` (time is an argument).
A customer's links can all be revoked at once (models.LinkRevocation): a link issued before the
revocation instant is refused. A payment link becomes its customer's link once the payer gave
their data, and is revoked with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from timbra.customers.models import Customer
from timbra.orgs.models import Org
from timbra.payments.models import Payment

SALT = "timbra.portal.fiscal-data"
DEFAULT_MAX_AGE = timedelta(days=30)  # a notice goes out N days ahead; a month covers every policy


class LinkError(Exception):
    """The link cannot be used; `message` is Spanish, for the person who opened it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


INVALID = ("Este enlace no es válido: puede estar incompleto o haber sido modificado. Copia el enlace "
           "completo del correo que recibiste.")
EXPIRED = ("Este enlace ya venció o fue desactivado. Por seguridad, los enlaces a tus datos fiscales duran "
           "un tiempo limitado: pide uno nuevo con tu correo en la página de {org}, o pídeselo a quien te factura.")


@dataclass(frozen=True)
class Subject:
    """Who a link lets in: a customer, or the payer of a payment that has no customer yet."""

    org: Org
    customer: Customer | None
    payment: Payment | None
    livemode: bool


def _token(payload: dict[str, int], *, as_of: datetime, max_age: timedelta) -> str:
    # iat in whole seconds, like exp: a revocation at instant t kills links issued up to t.
    return signing.dumps({**payload, "iat": int(as_of.timestamp()), "exp": int((as_of + max_age).timestamp())},
                         salt=SALT)


def fiscal_data_token(customer: Customer, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    return _token({"o": customer.org_id, "c": customer.pk}, as_of=as_of, max_age=max_age)


def payment_token(payment: Payment, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    return _token({"o": payment.org_id, "p": payment.pk}, as_of=as_of, max_age=max_age)


def absolute(path: str) -> str:
    return f"{str(settings.TIMBRA_BASE_URL).rstrip('/')}{path}"


def fiscal_data_url(customer: Customer, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    """The absolute URL of the customer's portal, valid until as_of + max_age (or a revocation)."""
    return absolute(reverse("portal:fiscal_data", args=[fiscal_data_token(customer, as_of=as_of, max_age=max_age)]))


def payment_url(payment: Payment, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    """The portal URL for the payer of a payment waiting for fiscal data (the chase email)."""
    return absolute(reverse("portal:fiscal_data", args=[payment_token(payment, as_of=as_of, max_age=max_age)]))


def subject_for(token: str, *, as_of: datetime) -> Subject:
    """Who `token` lets in; LinkError when it was altered, expired, was revoked, or names nothing."""
    try:
        data = signing.loads(token, salt=SALT)
        org_id, expires, issued = int(data["o"]), int(data["exp"]), int(data.get("iat", 0))
        customer_id, payment_id = data.get("c"), data.get("p")
        if (customer_id is None) == (payment_id is None):
            raise ValueError("a link names a customer or a payment")
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("link_invalid", INVALID) from exc
    org = Org.objects.filter(pk=org_id).first()
    if org is None:
        raise LinkError("link_invalid", INVALID)
    if as_of.timestamp() > expires:
        raise LinkError("link_expired", EXPIRED.format(org=org.nombre))
    payment = None
    if payment_id is not None:
        payment = Payment.objects.filter(pk=int(payment_id), org_id=org_id).select_related("customer").first()
        if payment is None:
            raise LinkError("link_invalid", INVALID)
        customer = payment.customer
    else:
        customer = Customer.objects.filter(pk=int(customer_id), org_id=org_id).first()
        if customer is None:
            raise LinkError("link_invalid", "Este enlace ya no corresponde a ningún cliente.")
    if customer is not None and _revoked(customer, issued):
        raise LinkError("link_expired", EXPIRED.format(org=org.nombre))
    livemode = customer.livemode if customer is not None else bool(payment and payment.livemode)
    return Subject(org=org, customer=customer, payment=payment, livemode=livemode)


def _revoked(customer: Customer, issued: int) -> bool:
    from timbra.portal.models import LinkRevocation

    revocation = LinkRevocation.objects.filter(customer=customer).first()
    return revocation is not None and issued <= int(revocation.revoked_before.timestamp())


def customer_for(token: str, *, as_of: datetime) -> Customer:
    """The customer a customer link names (kept for callers that only know customers)."""
    subject = subject_for(token, as_of=as_of)
    if subject.customer is None:
        raise LinkError("link_invalid", INVALID)
    return subject.customer
