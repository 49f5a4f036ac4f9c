"""Payments fixtures: a test-mode Stripe connection of `org`, and a way to deliver events to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import NOW
from tests.unit.payments.stripe_events import SECRET, body, sign
from timbra.payments.models import GatewayConnection
from timbra.payments.services.connections import connect_stripe


@pytest.fixture
def connection(org) -> GatewayConnection:
    return connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)


class Deliverer:
    """Posts signed events the way Stripe does, running the jobs they queue (immediate mode)."""

    def __init__(self, capture: Any) -> None:
        self.client = Client()
        self.capture = capture

    def __call__(
        self,
        connection: GatewayConnection,
        data: dict[str, Any] | bytes,
        *,
        secrets: tuple[str, ...] = (),
        timestamp: int | None = None,
        header: str | None = None,
        token: str | None = None,
    ) -> Any:
        payload = data if isinstance(data, bytes) else body(data)
        stamp = int(timezone.now().timestamp()) if timestamp is None else timestamp
        signature = header if header is not None else sign(payload, *(secrets or (SECRET,)), timestamp=stamp)
        url = f"/hooks/stripe/{token or connection.webhook_token}"
        with self.capture(execute=True):
            return self.client.post(
                url,
                data=payload,
                content_type="application/json",
                headers={"Stripe-Signature": signature} if signature else {},
            )


@pytest.fixture
def deliver(django_capture_on_commit_callbacks) -> Deliverer:
    return Deliverer(django_capture_on_commit_callbacks)
