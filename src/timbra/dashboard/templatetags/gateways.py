"""Badges for gateway events and payments (their own states, not an invoice's)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from timbra.payments.models import Payment, Refund, WebhookEvent

register = template.Library()

# Reuse the invoice badge colours: done = delivered, waiting = held, error = danger-ish.
_EVENT_CLASS = {"received": "sealed", "processed": "delivered", "ignored": "draft", "waiting": "held",
                "failed": "delivery-failed", "rejected": "delivery-failed"}
_PAYMENT_CLASS = {"pending": "sealed", "invoiced": "delivered", "applied": "delivered",
                  "awaiting_fiscal_data": "held", "not_invoiced": "draft", "failed": "delivery-failed"}
_REFUND_CLASS = {"pending": "sealed", "waiting": "sealed", "credited": "delivered", "held": "held",
                 "void": "draft", "dismissed": "draft"}
_EVENT_LABELS = dict(WebhookEvent.STATUSES)
_PAYMENT_LABELS = dict(Payment.STATUSES)
_REFUND_LABELS = dict(Refund.STATUSES)
# What the gateway says about a refund or a dispute (Stripe's words), for people.
_GATEWAY_WORDS = {"succeeded": "Exitoso", "pending": "Pendiente", "failed": "Fallido", "canceled": "Cancelado",
                  "requires_action": "Requiere acción", "open": "Abierta", "won": "Ganada", "lost": "Perdida",
                  "needs_response": "Requiere respuesta", "under_review": "En revisión",
                  "warning_needs_response": "Aviso: requiere respuesta", "warning_closed": "Aviso cerrado"}


def _badge(status: str, classes: dict[str, str], labels: dict[str, str]) -> SafeString:
    return format_html('<span class="badge badge-{}">{}</span>', classes.get(status, "draft"), labels.get(status, status))


@register.filter
def event_badge(status: str) -> SafeString:
    return _badge(status, _EVENT_CLASS, _EVENT_LABELS)


@register.filter
def payment_badge(status: str) -> SafeString:
    return _badge(status, _PAYMENT_CLASS, _PAYMENT_LABELS)


@register.filter
def refund_badge(status: str) -> SafeString:
    return _badge(status, _REFUND_CLASS, _REFUND_LABELS)


@register.filter
def gateway_word(word: str) -> str:
    """A refund's or dispute's status at the gateway, in Spanish when known (else as the gateway says)."""
    return _GATEWAY_WORDS.get(word, word or "—")
