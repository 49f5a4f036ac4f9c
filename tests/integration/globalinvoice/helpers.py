"""Sales without fiscal data (the global invoice's raw material), recorded through the real
external-payments service, in an org whose time zone is not Mexico City's."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tests.factories import NOW, make_org
from timbra.orgs.models import Org
from timbra.payments.models import Payment
from timbra.payments.services.external_payments import ExternalPaymentInput, record_external_payment

TIJUANA = ZoneInfo("America/Tijuana")


def make_tijuana_org(*, as_of: datetime = NOW) -> Org:
    """The SAT test issuer, issuing from Tijuana (CP 22000: c_CodigoPostal's Tiempo del Noroeste)."""
    org = make_org(as_of=as_of)
    Org.objects.filter(pk=org.pk).update(timezone="America/Tijuana", lugar_expedicion="22000")
    org.refresh_from_db()
    return org


def sell(org: Org, external_id: str, amount: str, paid_at: datetime, *, forma_pago: str = "01",
         currency: str = "MXN", livemode: bool = False, customer_id: int | None = None,
         exchange_rate: Decimal | None = None) -> Payment:
    """A sale paid in full by a customer who gave no fiscal data."""
    payment, _ = record_external_payment(
        org,
        ExternalPaymentInput(external_id=external_id, amount=Decimal(amount), currency=currency, paid_at=paid_at,
                             forma_pago=forma_pago, description="Venta de mostrador", customer_id=customer_id,
                             exchange_rate=exchange_rate),
        livemode=livemode, as_of=paid_at,
    )  # fmt: skip
    return payment
