"""Payments fixtures: a test-mode Stripe connection of `org`, and a way to deliver events to it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import NOW, make_org
from tests.unit.payments.stripe_events import SECRET, body, sign
from timbra import jobs
from timbra.payments.models import GatewayConnection
from timbra.payments.services.connections import connect_stripe
from timbra.payments.services.receive_webhook import receive_webhook


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


# --- Conekta and Mercado Pago (issue 3) ------------------------------------------------------


@pytest.fixture
def conekta(org) -> GatewayConnection:
    """A test-mode Conekta connection of `org` verifying with the "current" webhook key."""
    from tests.unit.payments.conekta_events import public_pem
    from timbra.payments.services.connections import connect_conekta

    return connect_conekta(org, public_keys=[public_pem()], livemode=False, as_of=NOW)


@pytest.fixture
def fake_mp(monkeypatch) -> Any:
    """Mercado Pago's API, in memory, wherever Timbra would open an HTTP client to it."""
    from tests.unit.payments.mercadopago_events import FakeMercadoPago
    from timbra.payments.gateways import clients

    fake = FakeMercadoPago()
    monkeypatch.setattr(clients, "HttpMercadoPagoApi", fake.api)
    return fake


@pytest.fixture
def mercadopago(org, fake_mp) -> GatewayConnection:
    """A test-mode Mercado Pago connection of `org` with its webhook secret and access token."""
    from tests.unit.payments.mercadopago_events import ACCESS_TOKEN
    from tests.unit.payments.mercadopago_events import SECRET as MP_SECRET
    from timbra.payments.services.connections import connect_mercadopago

    return connect_mercadopago(org, webhook_secret=MP_SECRET, access_token=ACCESS_TOKEN, livemode=False, as_of=NOW)


class HookPoster:
    """Posts Conekta / Mercado Pago deliveries the way they do, running the jobs they queue."""

    def __init__(self, capture: Any) -> None:
        self.client = Client()
        self.capture = capture

    def conekta(self, connection: GatewayConnection, data: dict[str, Any] | bytes, *, key: str = "current",
                digest: str | None = None) -> Any:
        from tests.unit.payments.conekta_events import body as conekta_body
        from tests.unit.payments.conekta_events import sign as conekta_sign

        payload = data if isinstance(data, bytes) else conekta_body(data)
        headers = {"Digest": digest if digest is not None else conekta_sign(payload, key)}
        return self._post(f"/hooks/conekta/{connection.webhook_token}", payload, headers)

    def mercadopago(self, connection: GatewayConnection, data: dict[str, Any], *, secret: str | None = None,
                    request_id: str = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e", ts: int | None = None) -> Any:
        from tests.unit.payments.mercadopago_events import SECRET as MP_SECRET
        from tests.unit.payments.mercadopago_events import body as mp_body
        from tests.unit.payments.mercadopago_events import signature

        data_id = str(data["data"]["id"])
        stamp = int(timezone.now().timestamp()) if ts is None else ts
        headers = {"x-signature": signature(data_id, request_id, stamp, secret or MP_SECRET), "x-request-id": request_id}
        url = f"/hooks/mercadopago/{connection.webhook_token}?data.id={data_id}&type=payment"
        return self._post(url, mp_body(data), headers)

    def _post(self, url: str, payload: bytes, headers: dict[str, str]) -> Any:
        with self.capture(execute=True):
            return self.client.post(url, data=payload, content_type="application/json", headers=headers)


@pytest.fixture
def post_hook(django_capture_on_commit_callbacks) -> HookPoster:
    return HookPoster(django_capture_on_commit_callbacks)


@pytest.fixture
def stored(frozen, monkeypatch):
    """Store events without processing them (their jobs are dropped), as a lost job would."""
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    connection = connect_stripe(make_org(), signing_secret=SECRET, livemode=False, as_of=NOW)

    def store(data: dict) -> int:
        payload = body(data)
        header = sign(payload, SECRET, timestamp=int(NOW.timestamp()))
        return receive_webhook(connection, payload, header, now=NOW).event.pk

    return store
