"""Signed, expiring links to a customer's fiscal data page (django.core.signing).

The link is the only credential (the customer has no account yet), so it names one customer of
one org, is signed with the project's secret (any change to it breaks the signature) and carries
its own expiry, checked against an explicit `as_of` (time is an argument). It grants reading the
data the issuer already sent the customer in the notice email, nothing more; the self-service
portal of a later issue can keep the same token and add editing behind it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from timbra.customers.models import Customer

SALT = "timbra.portal.fiscal-data"
DEFAULT_MAX_AGE = timedelta(days=30)  # a notice goes out N days ahead; a month covers every policy


class LinkError(Exception):
    """The link cannot be used; `message` is Spanish, for the person who opened it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def fiscal_data_token(customer: Customer, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    return signing.dumps(
        {"o": customer.org_id, "c": customer.pk, "exp": int((as_of + max_age).timestamp())}, salt=SALT
    )


def fiscal_data_url(customer: Customer, *, as_of: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> str:
    """The absolute URL of the customer's fiscal data page, valid until as_of + max_age."""
    path = reverse("portal:fiscal_data", args=[fiscal_data_token(customer, as_of=as_of, max_age=max_age)])
    return f"{str(settings.TIMBRA_BASE_URL).rstrip('/')}{path}"


def customer_for(token: str, *, as_of: datetime) -> Customer:
    """The customer a token names; LinkError when it was altered, has expired, or the customer
    no longer exists."""
    try:
        data = signing.loads(token, salt=SALT)
        org_id, customer_id, expires = int(data["o"]), int(data["c"]), int(data["exp"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("link_invalid", "Este enlace no es válido: puede estar incompleto o haber sido "
                        "modificado. Copia el enlace completo del correo que recibiste.") from exc
    if as_of.timestamp() > expires:
        raise LinkError("link_expired", "Este enlace ya venció. Por seguridad, los enlaces para revisar "
                        "tus datos fiscales duran un tiempo limitado; recibirás uno nuevo con el próximo "
                        "aviso de factura, o pídeselo a quien te factura.")
    customer = Customer.objects.select_related("org").filter(pk=customer_id, org_id=org_id).first()
    if customer is None:
        raise LinkError("link_invalid", "Este enlace ya no corresponde a ningún cliente.")
    return customer
