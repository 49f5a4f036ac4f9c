"""What processing a non-payment event (refund, dispute, void, customer change) came to."""

from __future__ import annotations

from dataclasses import dataclass

from timbra.payments.models import Payment


@dataclass(frozen=True)
class Handled:
    """The inbox status to set on the event (WebhookEvent.PROCESSED, WAITING, ...), with the
    Spanish reason shown on the events page, and what it touched."""

    status: str
    reason: str
    payment: Payment | None = None
    waiting_on: str = ""
    invoice_id: int | None = None
