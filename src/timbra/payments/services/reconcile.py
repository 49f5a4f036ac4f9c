"""The reconciler: ask each connected gateway what happened lately, store what never arrived.

Webhooks get lost (an endpoint down longer than the gateway retries, a disabled
connection, a misconfigured URL): reference/reliability.md §1.1 and DESIGN.md, "a
reconciler re-lists the gateway's recent events". Every event found goes through the same
inbox insert as a webhook, keyed (org, provider, event id), so an event that did arrive
is a duplicate that changes nothing, and one that did not is stored and processed.

Mercado Pago has no event list: its payments search stands in. A payment Timbra never
recorded gets a notification of our own (`payment.created`, id `reconcile-<id>-created`),
and a refund newer than every notification about its payment a `payment.updated` one;
ids are deterministic, so running twice stores nothing twice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from django.db.models import QuerySet

from timbra.payments.gateways import conekta_mapping, stripe_lifecycle, stripe_mapping
from timbra.payments.gateways.base import GatewayUnavailable, NoLookups, PayloadRejected
from timbra.payments.gateways.clients import MercadoPagoApi
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services import adapters, connections
from timbra.payments.services.receive_webhook import store_event

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)  # clocks and the gateway's own indexing lag
FIRST_WINDOW = timedelta(days=3)  # how far back a first run looks (Stripe retries for 3 days)
# Every type Timbra acts on, and no other (Stripe's `types` filter takes up to 20).
STRIPE_TYPES = tuple(sorted({*stripe_mapping.HANDLED, *stripe_lifecycle.HANDLED}))


class EventSource(Protocol):
    def events(self, since: datetime) -> Iterable[Mapping[str, Any]]:
        """The gateway's events created at or after `since`, as its webhooks deliver them."""
        ...


@dataclass(frozen=True)
class ReconcileReport:
    seen: int = 0  # events (or payments) the gateway listed
    recovered: int = 0  # of those, stored now because they had never arrived
    error: str = ""


def reconcilable(org_id: int | None = None) -> QuerySet[GatewayConnection]:
    """The connections the reconciler can ask: active, with an API key."""
    found = GatewayConnection.objects.filter(status=GatewayConnection.ACTIVE, api_key_encrypted__isnull=False)
    return (found.filter(org_id=org_id) if org_id is not None else found).order_by("pk")


def reconcile_all(*, as_of: datetime) -> dict[int, ReconcileReport]:
    """Reconcile every connection that can be (the hourly job); one connection's failure
    never stops the others."""
    reports = {}
    for connection in reconcilable():
        try:
            reports[connection.pk] = reconcile_connection(connection, as_of=as_of)
        except Exception as exc:  # a bug or a bad key must not starve the other orgs
            log.exception("reconciler failed for connection %s", connection.pk)
            reports[connection.pk] = ReconcileReport(error=f"Error inesperado ({type(exc).__name__}).")
    return reports


def reconcile_connection(
    connection: GatewayConnection, *, as_of: datetime, source: EventSource | MercadoPagoApi | None = None
) -> ReconcileReport:
    """Store and process what the gateway has that the inbox lacks, since the watermark.
    `source` is the gateway's API (built from the connection's key when not given)."""
    since = (connection.last_reconciled_at or as_of - FIRST_WINDOW) - OVERLAP
    source = source if source is not None else _source_for(connection)
    if source is None:
        return ReconcileReport(error="La conexión no tiene llave de API para consultar la pasarela.")
    try:
        if connection.provider == connections.MERCADOPAGO:
            report = _reconcile_payments(connection, cast(MercadoPagoApi, source), since=since, as_of=as_of)
        else:
            report = _reconcile_events(connection, cast(EventSource, source), since=since, as_of=as_of)
    except GatewayUnavailable as exc:
        # The watermark stays: the next run asks for the same window again.
        report = ReconcileReport(error=f"La pasarela no respondió ({exc}); se reintentará.")
        _record(connection, report, watermark=connection.last_reconciled_at)
        return report
    _record(connection, report, watermark=as_of)
    if report.recovered:
        log.info("reconciler recovered %s events for connection %s", report.recovered, connection.pk)
    return report


def _source_for(connection: GatewayConnection) -> EventSource | MercadoPagoApi | None:
    key = connections.api_key(connection)
    if not key:
        return None
    if connection.provider == connections.STRIPE:
        from timbra.payments.gateways.stripe import StripeEventSource

        return StripeEventSource(key, STRIPE_TYPES)
    if connection.provider == connections.CONEKTA:
        return adapters.conekta_api(connection)
    return adapters.mercadopago_api(connection)


def _reconcile_events(
    connection: GatewayConnection, source: EventSource, *, since: datetime, as_of: datetime
) -> ReconcileReport:
    adapter = adapters.adapter_for(connection, lookups=NoLookups())
    seen = recovered = 0
    for item in source.events(since):
        seen += 1
        payload = dumps_exact(item)
        try:
            event = adapter.parse_stored(payload)
        except PayloadRejected:
            log.warning("reconciler skipped a malformed event from %s", connection.provider)
            continue
        if connection.provider == connections.CONEKTA and event.event_type not in conekta_mapping.HANDLED:
            continue  # Conekta lists every event (order.created, charge.created...): keep the inbox to ours
        recovered += not store_event(connection, event, payload, now=as_of).duplicate
    return ReconcileReport(seen=seen, recovered=recovered)


def _reconcile_payments(
    connection: GatewayConnection, api: MercadoPagoApi, *, since: datetime, as_of: datetime
) -> ReconcileReport:
    adapter = adapters.adapter_for(connection, lookups=NoLookups())
    seen = recovered = 0
    for payment in api.payments_updated(since, as_of):
        seen += 1
        for notification in _missing_notifications(connection, payment):
            payload = dumps_exact(notification)
            recovered += not store_event(
                connection, adapter.parse_stored(payload), payload, now=as_of
            ).duplicate
    return ReconcileReport(seen=seen, recovered=recovered)


def _missing_notifications(connection: GatewayConnection, payment: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The notifications Mercado Pago would have sent about `payment` that left no trace."""
    pid = str(payment.get("id") or "")
    if not pid or not payment.get("date_approved"):
        return []  # never paid: nothing to invoice
    wanted = []
    if not Payment.objects.filter(org_id=connection.org_id, provider=connection.provider, key=pid).exists():
        wanted.append(("payment.created", f"reconcile-{pid}-created"))
    refunds = payment.get("refunds") or []
    if refunds and not _notified_since(connection, pid, payment.get("date_last_updated")):
        wanted.append(("payment.updated", f"reconcile-{pid}-refunds-{len(refunds)}"))
    return [
        {
            "id": notification_id,
            "type": "payment",
            "action": action,
            "api_version": "v1",
            "live_mode": bool(payment.get("live_mode")),
            "date_created": str(payment.get("date_last_updated") or payment.get("date_approved")),
            "data": {"id": pid},
        }
        for action, notification_id in wanted
    ]


def _notified_since(connection: GatewayConnection, pid: str, updated: Any) -> bool:
    """Whether an event about the payment was received after its last change (processing it
    read the payment as it is now)."""
    try:
        last_change = datetime.fromisoformat(str(updated))
    except ValueError:
        return False
    return WebhookEvent.objects.filter(
        connection=connection, object_id=pid, received_at__gte=last_change
    ).exists()


def _record(connection: GatewayConnection, report: ReconcileReport, *, watermark: datetime | None) -> None:
    GatewayConnection.objects.filter(pk=connection.pk).update(
        last_reconciled_at=watermark, last_reconcile_report=asdict(report)
    )
    connection.refresh_from_db(fields=["last_reconciled_at", "last_reconcile_report"])


_DECIMAL_MARK = "\x00decimal:"


def dumps_exact(obj: Any) -> str:
    """JSON text of a parsed object whose numbers may be Decimal, written as JSON numbers
    (amounts and exchange rates keep every digit; json.dumps alone refuses Decimal)."""
    text = json.dumps(obj, ensure_ascii=False, default=_mark_decimal)
    return re.sub(r'"\\u0000decimal:([-+0-9.Ee]+)"', r"\1", text)


def _mark_decimal(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{_DECIMAL_MARK}{value}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
