"""Gateway rows made directly (no jobs run): a Stripe connection, a payment waiting for fiscal
data, a failed event about it and a held refund of it, for pages and isolation walks."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.factories import NOW
from tests.unit.payments.stripe_events import SECRET
from timbra.orgs.models import Org
from timbra.payments.models import Payment, Refund, WebhookEvent
from timbra.payments.services.connections import connect_stripe


def make_gateway_rows(org: Org, *, livemode: bool = False, marker: str = "ajeno") -> dict[str, Any]:
    """Ids by kind; `marker` appears only in these rows (payment key, event id and payload)."""
    connection = connect_stripe(org, signing_secret=SECRET, livemode=livemode, as_of=NOW)
    payment = Payment.objects.create(
        org=org, connection=connection, livemode=livemode, provider="stripe", key=f"pi_{marker}",
        source_kind="charge", currency="MXN", amount=Decimal("116.00"), forma_pago="04", paid_at=NOW,
        status=Payment.AWAITING_FISCAL_DATA, status_reason="Faltan datos fiscales del cliente: RFC.",
        created_at=NOW, updated_at=NOW,
    )
    row = WebhookEvent.objects.create(
        org=org, connection=connection, livemode=livemode, provider="stripe", event_id=f"evt_{marker}",
        event_type="charge.succeeded", received_at=NOW, status=WebhookEvent.FAILED, reason="Error de prueba.",
        payload=json.dumps({"id": f"evt_{marker}", "marker": f"<script>alert('{marker}')</script>"}),
        payment=payment,
    )
    refund = Refund.objects.create(
        org=org, connection=connection, livemode=livemode, provider="stripe", refund_id=f"re_{marker}",
        payment=payment, currency="MXN", amount=Decimal("16.00"), gateway_status="succeeded", refunded_at=NOW,
        status=Refund.HELD, status_reason="Reembolso detenido de prueba.", created_at=NOW, updated_at=NOW,
    )
    return {"connection_id": connection.pk, "secret_id": connection.signing_secret_hints[0]["id"],
            "event_id": row.pk, "payment_id": payment.pk, "webhook_token": connection.webhook_token,
            "refund_id": refund.pk}
