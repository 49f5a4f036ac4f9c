"""Portal fixtures: a payment waiting for fiscal data (a real Stripe event through the real
webhook), the portal links, and a client that runs the jobs a request queues (immediate mode)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from tests.unit.payments.stripe_events import event
from timbra.payments.models import Payment


def anonymous_charge(email: str = "ana@example.com", event_id: str | None = None, charge: str = "") -> dict:
    """A one-off card charge with only a cardholder name and email: no usable fiscal data."""
    changes: dict[str, Any] = {"metadata": {"order_id": "ORD-9"}, "billing_details": {
        "address": {"country": "MX", "postal_code": None}, "email": email, "name": "ANA PEREZ", "phone": None}}
    if charge:
        changes["id"] = charge
        changes["payment_intent"] = charge.replace("ch_", "pi_")
    return event("charge_succeeded_oneoff", event_id=event_id, **changes)


def portal_links(message: mail.EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+/portal/datos-fiscales/[^\s\"<]+", message.body)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()  # rate-limit counters live in the cache: each test starts with none
    yield
    cache.clear()


@pytest.fixture
def waiting_payment(stripe_webhook) -> Payment:
    mail.outbox.clear()
    stripe_webhook(anonymous_charge())
    payment = Payment.objects.get()
    assert payment.status == Payment.AWAITING_FISCAL_DATA
    return payment


class PortalClient:
    """A browser-less customer: GET/POST on the portal, running the jobs each request queues."""

    def __init__(self, capture: Any) -> None:
        self.client = Client(REMOTE_ADDR="203.0.113.7")
        self.capture = capture

    def get(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self.capture(execute=True):
            return self.client.get(path, data, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        with self.capture(execute=True):
            return self.client.post(path, data or {}, **kwargs)


@pytest.fixture
def browser(django_capture_on_commit_callbacks) -> PortalClient:
    return PortalClient(django_capture_on_commit_callbacks)


ANA = {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "codigo_postal": "42501", "regimen_fiscal": "601",
       "uso_cfdi": "G03"}
