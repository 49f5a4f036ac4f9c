"""Invoice states and the only transitions allowed between them.

draft → sealed → stamped → delivered, plus held (needs a human or the customer) and
cancelled. A stamped CFDI is cancelled at the SAT, never in one step: stamped/delivered →
cancellation_pending (request sent, waiting for the PAC and the SAT status service, maybe for the
receptor's acceptance) → cancelled, or back to where it was when the receptor rejects it or the
SAT refuses the request (issue 11). A change of state is a compare-and-swap on the row
(invoicing.transitions).
"""

from __future__ import annotations

from enum import StrEnum


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # created, waiting to be sealed
    SEALED = "sealed"  # signed XML saved; stamping in progress (maybe retrying)
    STAMPED = "stamped"  # the PAC returned a UUID
    DELIVERED = "delivered"  # PDF rendered and sent to the customer
    HELD = "held"  # bad data, SAT rejection, expired CSD: waits for a correction
    CANCELLATION_PENDING = "cancellation_pending"  # asked the SAT to cancel; waiting for its answer
    CANCELLED = "cancelled"


S = InvoiceStatus

TRANSITIONS: dict[InvoiceStatus, frozenset[InvoiceStatus]] = {
    S.DRAFT: frozenset({S.SEALED, S.HELD, S.CANCELLED}),
    # sealed → draft only when the PAC confirmed it holds no stamp for those bytes
    # and the 72-hour window forces a new Fecha (re-seal, audit-logged).
    S.SEALED: frozenset({S.STAMPED, S.HELD, S.DRAFT}),
    S.STAMPED: frozenset({S.DELIVERED, S.CANCELLATION_PENDING}),
    S.DELIVERED: frozenset({S.CANCELLATION_PENDING}),
    # back to stamped/delivered: the receptor rejected it, or the PAC/SAT refused the request
    S.CANCELLATION_PENDING: frozenset({S.CANCELLED, S.STAMPED, S.DELIVERED}),
    S.HELD: frozenset({S.DRAFT, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}

LABELS: dict[InvoiceStatus, str] = {
    S.DRAFT: "Borrador",
    S.SEALED: "Sellada",
    S.STAMPED: "Timbrada",
    S.DELIVERED: "Entregada",
    S.HELD: "Detenida",
    S.CANCELLATION_PENDING: "Cancelación en proceso",
    S.CANCELLED: "Cancelada",
}


class IllegalTransition(Exception):
    def __init__(self, current: InvoiceStatus, to: InvoiceStatus) -> None:
        super().__init__(f"illegal transition {current} → {to}")
        self.current, self.to = current, to


def can_move(current: InvoiceStatus, to: InvoiceStatus) -> bool:
    return to in TRANSITIONS[current]
