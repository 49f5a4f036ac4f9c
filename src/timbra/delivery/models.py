"""Outbox: one row per invoice and channel, with its status and retries."""

from __future__ import annotations

from django.db import models

from timbra.invoicing.models import Invoice


class Delivery(models.Model):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # permanent failure (e.g. SMTP 5xx): shown in "needs attention"
    SKIPPED = "skipped"  # no recipient or sending disabled

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=20, default="email")
    recipients = models.JSONField(default=list)
    status = models.CharField(max_length=10, default=PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "channel"], name="one_delivery_per_channel"),
        ]
