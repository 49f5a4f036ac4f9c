"""An in-memory stand-in for `stripe.StripeClient` (the few reads Timbra makes), speaking
the same shapes as Stripe's API: dicts for objects, 404 InvalidRequestError when unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe


def _missing(kind: str, object_id: str) -> stripe.InvalidRequestError:
    return stripe.InvalidRequestError(f"No such {kind}: '{object_id}'", "id", http_status=404)


@dataclass
class FakeStripe:
    """What the fake account holds. `down` makes every call fail like a network outage."""

    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    balance_transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoice_payments: list[dict[str, Any]] = field(default_factory=list)  # {"invoice", "payment", "status"}
    down: bool = False
    calls: list[str] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)

    def client(self, api_key: str, **_: Any) -> FakeClient:
        self.keys_seen.append(api_key)
        return FakeClient(self)

    def pay_invoice(self, invoice_id: str, payment_intent_id: str) -> None:
        self.invoice_payments.append(
            {
                "object": "invoice_payment",
                "invoice": invoice_id,
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": payment_intent_id},
            }
        )


class _Resource:
    def __init__(self, fake: FakeStripe, name: str) -> None:
        self.fake, self.name = fake, name

    def _check(self, what: str) -> None:
        self.fake.calls.append(what)
        if self.fake.down:
            raise stripe.APIConnectionError("Network error communicating with Stripe")

    def retrieve(self, object_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._check(f"{self.name}.retrieve {object_id}")
        found = getattr(self.fake, self.name).get(object_id)
        if found is None:
            raise _missing(self.name, object_id)
        return found

    def list(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        params = params or {}
        self._check(f"{self.name}.list")
        items = [
            p
            for p in self.fake.invoice_payments
            if ("invoice" not in params or p["invoice"] == params["invoice"])
            and ("status" not in params or p["status"] == params["status"])
            and (
                "payment" not in params
                or p["payment"].get("payment_intent") == params["payment"]["payment_intent"]
            )
        ]
        return {"object": "list", "data": items[: params.get("limit", 10)], "has_more": False}


class FakeClient:
    def __init__(self, fake: FakeStripe) -> None:
        self.v1 = type("V1", (), {})()
        for name in ("charges", "customers", "balance_transactions", "invoice_payments"):
            setattr(self.v1, name, _Resource(fake, name))
