"""The portal's audit rows (models.PortalEvent), written inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from timbra.customers.models import Customer
from timbra.orgs.models import Org
from timbra.payments.models import Payment
from timbra.portal.models import PortalEvent

CUSTOMER_ACTOR = "cliente (portal)"


def record(org: Org, kind: str, *, actor: str, as_of: datetime, customer: Customer | None = None,
           payment: Payment | None = None, **data: Any) -> PortalEvent:
    return PortalEvent.objects.create(org=org, kind=kind, actor=actor, at=as_of, customer=customer,
                                      payment=payment, data=data)
