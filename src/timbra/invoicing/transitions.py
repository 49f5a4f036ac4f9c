"""The only way an invoice's status changes: a compare-and-swap UPDATE plus an audit row.

`UPDATE invoice SET status = :to WHERE id = :id AND status = :expected` — if another
worker moved it first, zero rows match and this caller loses cleanly. No locks, so it
behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from timbra.domain.status import IllegalTransition, InvoiceStatus, can_move
from timbra.invoicing.models import Invoice, InvoiceEvent


class LostRace(Exception):
    """Another worker changed the invoice's status first; the caller should no-op."""


def move(
    invoice: Invoice,
    to: InvoiceStatus,
    *,
    as_of: datetime,
    kind: str,
    message: str = "",
    actor: str = "sistema",
    data: dict[str, Any] | None = None,
    earlier: Sequence[InvoiceEvent] = (),
    **fields: Any,
) -> Invoice:
    """Move `invoice` to `to`, setting `fields` in the same UPDATE, and record the event.

    `earlier`: unsaved events (`event()`) that led to this move, inserted in the same statement
    as its own (one INSERT instead of one each). On LostRace nothing is written: the caller
    still owes them (`record_events`)."""
    current = InvoiceStatus(invoice.status)
    if not can_move(current, to):
        raise IllegalTransition(current, to)
    updated = Invoice.objects.filter(pk=invoice.pk, status=current).update(
        status=to, status_changed_at=as_of, **fields
    )
    if updated != 1:
        raise LostRace(f"invoice {invoice.pk} is no longer {current}")
    invoice.status = to
    invoice.status_changed_at = as_of
    for name, value in fields.items():
        setattr(invoice, name, value)
    moved = event(invoice, kind, as_of=as_of, message=message, actor=actor, data=data, from_status=current, to_status=to)
    record_events([*earlier, moved])
    return invoice


def record(invoice: Invoice, kind: str, *, as_of: datetime, **details: Any) -> InvoiceEvent:
    """Append an event to the invoice's timeline (no status change); `details` are `event()`'s."""
    recorded = event(invoice, kind, as_of=as_of, **details)
    record_events([recorded])
    return recorded


def record_events(events: Sequence[InvoiceEvent]) -> None:
    """Insert unsaved events (`event()`) in one statement, in order."""
    if len(events) == 1:
        events[0].save(force_insert=True)  # a single row: save() is cheaper than bulk_create
    elif events:
        InvoiceEvent.objects.bulk_create(events)


def event(
    invoice: Invoice,
    kind: str,
    *,
    as_of: datetime,
    message: str = "",
    actor: str = "sistema",
    data: dict[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> InvoiceEvent:
    """An unsaved timeline event, for `move(earlier=...)` or `record_events`."""
    return InvoiceEvent(
        invoice=invoice,
        at=as_of,
        kind=kind,
        message=message,
        actor=actor,
        data=data or {},
        from_status=from_status,
        to_status=to_status,
    )
