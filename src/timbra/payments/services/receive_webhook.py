"""Receive one webhook delivery: verify, store raw, commit, then queue its processing.

The order is the guarantee (reference/reliability.md §1.1, design consequence 1): only a
committed row earns the 2xx, so a crash or a database error makes the gateway retry,
and a duplicate delivery (seconds or days later) hits the unique key and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from timbra import jobs
from timbra.payments.gateways.base import GatewayEvent, NoLookups, SignatureRejected
from timbra.payments.models import GatewayConnection, WebhookEvent
from timbra.payments.services import connections
from timbra.payments.services.adapters import adapter_for

log = logging.getLogger("timbra.security")
LAST_EVENT_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Received:
    event: WebhookEvent
    duplicate: bool


def receive_webhook(
    connection: GatewayConnection, payload: bytes, signature_header: str | None, *, now: datetime
) -> Received:
    """Verify and durably store one delivery for `connection` (whose org owns the event).

    Raises SignatureRejected (after counting it on the connection; nothing else is stored)
    or PayloadRejected. Database errors propagate: the caller must answer non-2xx."""
    adapter = adapter_for(connection, lookups=NoLookups())  # receiving never asks the gateway anything
    try:
        event = adapter.verify_and_parse(
            payload, signature_header, connections.signing_secrets(connection), now
        )
    except SignatureRejected as exc:
        _count_rejection(connection, exc, now=now)
        raise
    return store_event(connection, event, payload.decode("utf-8"), now=now)


def store_event(connection: GatewayConnection, event: GatewayEvent, payload: str, *, now: datetime) -> Received:
    """Insert a verified event in the inbox and queue its processing on commit; a duplicate
    (same org, provider and event id) changes nothing. Also how the reconciler stores the
    events it finds that never arrived."""
    row = WebhookEvent(
        org_id=connection.org_id,
        connection=connection,
        provider=event.provider,
        event_id=event.event_id,
        event_type=event.event_type,
        livemode=event.livemode,
        api_version=event.api_version,
        object_id=event.object_id,
        gateway_created_at=event.created,
        payload=payload,
        received_at=now,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            _touch(connection, now=now)
            jobs.enqueue_on_commit("payments.process_event", event_id=row.pk)
    except IntegrityError:
        existing = WebhookEvent.objects.filter(
            org_id=connection.org_id, provider=event.provider, event_id=event.event_id
        ).first()
        if existing is None:
            raise
        if existing.status == WebhookEvent.RECEIVED:
            # Never processed (its job may have been lost): a redelivery is a free retry.
            jobs.enqueue("payments.process_event", event_id=existing.pk)
        return Received(existing, duplicate=True)
    return Received(row, duplicate=False)


def _touch(connection: GatewayConnection, *, now: datetime) -> None:
    # At most once a minute: on PostgreSQL every delivery updating the same row would queue
    # concurrent webhooks behind one row lock; the connections page shows minutes anyway.
    GatewayConnection.objects.filter(pk=connection.pk).filter(
        Q(last_event_at__isnull=True) | Q(last_event_at__lt=now - LAST_EVENT_RESOLUTION)
    ).update(last_event_at=now)


def _count_rejection(connection: GatewayConnection, exc: SignatureRejected, *, now: datetime) -> None:
    # A security event (ASVS 16.3.3): who and why, never the payload, header or secrets.
    log.warning(
        "webhook signature rejected: connection=%s org=%s code=%s", connection.pk, connection.org_id, exc.code
    )
    GatewayConnection.objects.filter(pk=connection.pk).update(
        rejected_signatures=F("rejected_signatures") + 1, last_rejected_at=now
    )
