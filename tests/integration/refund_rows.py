"""Held refunds made the way production makes them: real Stripe-shaped events delivered to a
connection, with the one fault that holds them (for the refund pages, API and services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.unit.payments.stripe_events import event
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Refund
from timbra.payments.services import credit_notes

REFUSAL = "El catálogo de impuestos no respondió."
FIRST = "re_3QhMa1LkdIwHu7ix0ReFuN01"  # the refund of charge_refunded_partial


def refuse_credit_notes(*args: Any, **kwargs: Any) -> Invoice:
    raise InvoicingError("tax_invalid", REFUSAL)


def held_by_creation_error(run: Callable[[dict[str, Any]], Any]) -> Refund:
    """The one-off charge (580.00) invoiced and stamped, then its 200.00 refund held because its
    Egreso could not be created (a fault that a retry, once fixed, no longer meets)."""
    run(event("charge_succeeded_oneoff"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(credit_notes, "create_invoice", refuse_credit_notes)
        run(event("charge_refunded_partial"))
    refund = Refund.objects.get(refund_id=FIRST)
    assert refund.status == Refund.HELD and REFUSAL in refund.status_reason
    return refund


def held_by_excess(run: Callable[[dict[str, Any]], Any]) -> Refund:
    """580.00 charged and fully refunded (200.00 + 380.00), then one more 100.00 refund: held."""
    run(event("charge_succeeded_oneoff"))
    run(event("charge_refunded_partial"))
    run(event("refund_created"))
    run(event("refund_created", event_id="evt_extra", id="re_extra", amount=10000, balance_transaction=None))
    refund = Refund.objects.get(refund_id="re_extra")
    assert refund.status == Refund.HELD and "supere el total" in refund.status_reason
    return refund


def egresos(connection: GatewayConnection) -> list[Invoice]:
    return list(Invoice.objects.filter(org_id=connection.org_id, tipo_de_comprobante="E").order_by("pk"))
