"""Badges for gateway events and payments (their own states, not an invoice's)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from timbra.payments.models import Payment, WebhookEvent

register = template.Library()

# Reuse the invoice badge colours: done = delivered, waiting = held, error = danger-ish.
_EVENT_CLASS = {"received": "sealed", "processed": "delivered", "ignored": "draft", "waiting": "held",
                "failed": "delivery-failed"}
_PAYMENT_CLASS = {"pending": "sealed", "invoiced": "delivered", "applied": "delivered",
                  "awaiting_fiscal_data": "held", "not_invoiced": "draft", "failed": "delivery-failed"}
_EVENT_LABELS = dict(WebhookEvent.STATUSES)
_PAYMENT_LABELS = dict(Payment.STATUSES)


@register.filter
def event_badge(status: str) -> SafeString:
    return format_html('<span class="badge badge-{}">{}</span>', _EVENT_CLASS.get(status, "draft"),
                       _EVENT_LABELS.get(status, status))


@register.filter
def payment_badge(status: str) -> SafeString:
    return format_html('<span class="badge badge-{}">{}</span>', _PAYMENT_CLASS.get(status, "draft"),
                       _PAYMENT_LABELS.get(status, status))
