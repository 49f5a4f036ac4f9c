"""The notices outbox: one row per notice, so each is sent once.

A unique constraint on the business fact is the guarantee (STYLE §6): a preview or an
announcement per (schedule, period, kind), a digest per (org, local day). Sending is
at-least-once (SMTP cannot promise more, RFC 1047): the row is claimed, the email sent, then
the row marked sent; a crash in between leaves a claimed row that a later pass sends again
once its lease has expired.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from timbra.orgs.models import Org
from timbra.schedules.models import Schedule


class NoticeLog(models.Model):
    PREVIEW = "preview"  # the customer, N days before an invoice
    ANNOUNCEMENT = "announcement"  # the customer, the first invoice, at activation
    DIGEST = "digest"  # the business, what goes out in the next 7 days
    FISCAL_DATA_REQUEST = "fiscal_data_request"  # the payer of a payment waiting for fiscal data (portal)
    PORTAL_LINK = "portal_link"  # a person asked for their portal link on the business's public page
    HELD_FISCAL_DATA = "held_fiscal_data"  # the customer of an invoice held for their fiscal data (portal)
    KINDS = (PREVIEW, ANNOUNCEMENT, DIGEST, FISCAL_DATA_REQUEST, PORTAL_LINK, HELD_FISCAL_DATA)

    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # nothing to send (no email, nothing upcoming, cycle no longer issued)
    FAILED = "failed"  # the mail server refused it for good

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="notices")
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    # The chase loop (timbra.portal.services.chase): one row per payment and reminder number (`index`).
    payment = models.ForeignKey("payments.Payment", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notices")
    # An invoice held because the customer's fiscal data is wrong: one email per invoice.
    invoice = models.ForeignKey("invoicing.Invoice", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notices")
    kind = models.CharField(max_length=20)
    period_key = models.CharField(max_length=20, blank=True, default="")
    index = models.PositiveIntegerField(null=True, blank=True)  # the schedule cycle
    day = models.DateField(null=True, blank=True)  # the org-local day a digest covers
    status = models.CharField(max_length=10, default=PENDING)
    recipients = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")  # why skipped or failed, in Spanish

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_key", "kind"], condition=Q(schedule__isnull=False),
                                    name="one_notice_per_schedule_period_kind"),
            models.UniqueConstraint(fields=["org", "day", "kind"], condition=Q(day__isnull=False),
                                    name="one_notice_per_org_day_kind"),
            models.UniqueConstraint(fields=["payment", "kind", "index"], condition=Q(payment__isnull=False),
                                    name="one_notice_per_payment_kind_index"),
            models.UniqueConstraint(fields=["invoice", "kind"], condition=Q(invoice__isnull=False),
                                    name="one_notice_per_invoice_kind"),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.period_key or self.day} ({self.status})"
