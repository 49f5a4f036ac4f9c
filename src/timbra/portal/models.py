"""The portal's own rows: link revocations, the org's chase policy, and the audit trail of what
customers (and staff, for them) did through the portal."""

from __future__ import annotations

from django.db import models

from timbra.customers.models import Customer
from timbra.orgs.models import Org
from timbra.payments.models import Payment

DEFAULT_REMINDER_DAYS = [2, 5, 10]


class LinkRevocation(models.Model):
    """Every portal link of `customer` signed before `revoked_before` is dead (links.py checks it).
    One row per customer; revoking again moves the instant forward."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="portal_revocation")
    revoked_before = models.DateTimeField()

    def __str__(self) -> str:
        return f"Enlaces de {self.customer_id} revocados antes de {self.revoked_before:%Y-%m-%d %H:%M}"


class ChasePolicy(models.Model):
    """How an org asks a customer for missing fiscal data: the first email goes at once, then one
    reminder `reminder_days` days after the payment each (an empty list: no reminders)."""

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="chase_policy")
    enabled = models.BooleanField(default=True)
    reminder_days = models.JSONField(default=list)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Recordatorios de {self.org_id}: {self.reminder_days}"


class PortalEvent(models.Model):
    """Audit trail of the portal: what was saved, released, requested, revoked or assigned."""

    FISCAL_DATA_SAVED = "fiscal_data_saved"
    LINKS_REVOKED = "links_revoked"
    LINK_REQUESTED = "link_requested"
    CUSTOMER_ASSIGNED = "customer_assigned"

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="portal_events")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="portal_events")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="portal_events")
    kind = models.CharField(max_length=30)
    actor = models.CharField(max_length=120)  # "cliente (portal)" or the staff member
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
