"""Reads for the dashboard and the API: an org's connections, inbox events and payments,
always scoped to one org and mode (tenant isolation: callers never pass an org they chose)."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import F, QuerySet

from timbra.orgs.models import Org
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.services.external_payments import EXTERNAL


def connections_for(org: Org, *, livemode: bool) -> QuerySet[GatewayConnection]:
    """The org's gateway connections (not the internal one of API/CSV payments)."""
    return (GatewayConnection.objects.filter(org=org, livemode=livemode).exclude(provider=EXTERNAL)
            .order_by("provider", "pk"))


def events_for(org: Org, *, livemode: bool) -> QuerySet[WebhookEvent]:
    """The inbox, with `created_at` = `received_at` so cursor pagination can page it."""
    return (WebhookEvent.objects.filter(org=org, livemode=livemode)
            .select_related("payment", "invoice").annotate(created_at=F("received_at")))


def payments_for(org: Org, *, livemode: bool) -> QuerySet[Payment]:
    return Payment.objects.filter(org=org, livemode=livemode).select_related("customer", "invoice")


def get_connection(org: Org, connection_id: int, *, livemode: bool) -> GatewayConnection | None:
    return connections_for(org, livemode=livemode).filter(pk=connection_id).first()


def get_event(org: Org, event_id: int, *, livemode: bool) -> WebhookEvent | None:
    return events_for(org, livemode=livemode).filter(pk=event_id).first()


def get_payment(org: Org, payment_id: int, *, livemode: bool) -> Payment | None:
    return payments_for(org, livemode=livemode).filter(pk=payment_id).first()


def refunds_of(payment: Payment) -> QuerySet[Refund]:
    """The payment's refunds (and lost disputes), oldest first, with their credit notes."""
    return Refund.objects.filter(payment=payment).select_related("credit_note").order_by("refunded_at", "pk")


def get_refund(org: Org, payment_id: int, refund_id: int, *, livemode: bool) -> Refund | None:
    """A refund of the org's payment `payment_id` (both must match: no id from another payment)."""
    return (Refund.objects.filter(org=org, livemode=livemode, payment_id=payment_id, pk=refund_id)
            .select_related("payment").first())


def awaiting_fiscal_data(org: Org, *, livemode: bool) -> QuerySet[Payment]:
    """Payments that wait for the customer's fiscal data (Requiere atención), oldest first."""
    return (Payment.objects.filter(org=org, livemode=livemode, status=Payment.AWAITING_FISCAL_DATA)
            .select_related("org", "customer").order_by("paid_at", "pk"))


def held_refunds(org: Org, *, livemode: bool) -> QuerySet[Refund]:
    """Refunds that wait for a person (Requiere atención), newest first."""
    return (Refund.objects.filter(org=org, livemode=livemode, status=Refund.HELD)
            .select_related("payment", "payment__customer").order_by("-updated_at", "-pk"))


def parsed_payload(event: WebhookEvent) -> Any:
    """The stored body as JSON (what a person wants to read), or the raw text if it is not JSON."""
    try:
        return json.loads(event.payload)
    except (ValueError, RecursionError):  # a signed but hostile body (issue 14 §1) stays text
        return event.payload


def external_id(payment: Payment) -> str:
    """The caller's external_id of an API/CSV payment (its key without the mode prefix)."""
    return payment.key.partition(":")[2] if payment.provider == EXTERNAL else ""
