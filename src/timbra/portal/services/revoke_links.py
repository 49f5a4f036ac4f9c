"""Revoke every portal link a customer was sent (a forwarded email, a shared phone)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra.customers.models import Customer
from timbra.portal import audit
from timbra.portal.models import LinkRevocation, PortalEvent


def revoke_links(customer: Customer, *, actor: str, as_of: datetime) -> LinkRevocation:
    """Links issued up to `as_of` stop working; new ones (the next email) work again."""
    with transaction.atomic():
        revocation, _ = LinkRevocation.objects.update_or_create(customer=customer,
                                                                defaults={"revoked_before": as_of})
        audit.record(customer.org, PortalEvent.LINKS_REVOKED, actor=actor, as_of=as_of, customer=customer)
    return revocation
