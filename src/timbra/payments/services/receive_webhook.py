"""Receive one webhook delivery: verify, store raw, commit, then queue its processing.

The order is the guarantee (reference/reliability.md §1.1, design consequence 1): only a
committed row earns the 2xx, so a crash or a database error makes the gateway retry,
and a duplicate delivery (seconds or days later) hits the unique key and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from timbra import jobs
from timbra.payments.gateways.base import GatewayEvent, MalformedEvent, NoLookups, SignatureRejected
from timbra.payments.models import GatewayConnection, WebhookEvent
from timbra.payments.services import connections
from timbra.payments.services.adapters import adapter_for

log = logging.getLogger("timbra.security")
LAST_EVENT_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Received:
    event: WebhookEvent
    duplicate: bool
    rejected: MalformedEvent | None = None


def receive_webhook(
    connection: GatewayConnection, payload: bytes, signature_header: str | None, *, now: datetime
) -> Received:
    """Verify and durably store one delivery for `connection` (whose org owns the event).

    Raises SignatureRejected (after counting it on the connection; nothing else is stored)
    or PayloadRejected (not signed proof of anything). A correctly signed body that cannot be
    read is stored as rejected, with its reason (issue 14 §1): the gateway gets its 2xx and
    the fact is kept. Database errors propagate: the caller must answer non-2xx."""
    adapter = adapter_for(connection, lookups=NoLookups())  # receiving never asks the gateway anything
    try:
        event = adapter.verify_and_parse(
            payload, signature_header, connections.signing_secrets(connection), now
        )
    except SignatureRejected as exc:
        _count_rejection(connection, exc, now=now)
        raise
    except MalformedEvent as exc:
        return store_rejected(connection, payload, exc, now=now)
    return store_event(connection, event, payload.decode("utf-8"), now=now)


def store_rejected(connection: GatewayConnection, payload: bytes, exc: MalformedEvent, *, now: datetime) -> Received:
    """Keep a signed but unreadable body as a `rejected` event (its id when one can be read,
    else a digest of the bytes, so a redelivery is a duplicate), never queued."""
    event_id, event_type = _identity(payload)
    log.warning("signed webhook rejected: connection=%s code=%s", connection.pk, exc.code)
    row = WebhookEvent(
        org_id=connection.org_id, connection=connection, provider=connection.provider, event_id=event_id,
        event_type=event_type, livemode=connection.livemode, payload=payload.decode("utf-8", "backslashreplace"),
        received_at=now, status=WebhookEvent.REJECTED, reason=f"Evento rechazado: {exc.message}",
        processed_at=now,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        existing = WebhookEvent.objects.get(org_id=connection.org_id, provider=connection.provider, event_id=event_id)
        return Received(existing, duplicate=True, rejected=exc)
    return Received(row, duplicate=False, rejected=exc)


def _identity(payload: bytes) -> tuple[str, str]:
    digest = "sin-id:" + hashlib.sha256(payload).hexdigest()[:40]
    try:
        data = json.loads(payload)
    except (ValueError, RecursionError):
        return digest, ""
    if not isinstance(data, dict):
        return digest, ""
    event_id, event_type = data.get("id"), data.get("type")
    return (
        str(event_id)[:255] if isinstance(event_id, str | int) and event_id != "" else digest,
        str(event_type)[:100] if isinstance(event_type, str) else "",
    )


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
