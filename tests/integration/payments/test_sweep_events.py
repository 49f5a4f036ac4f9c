"""Events whose job was lost are found and processed again; fresh or finished ones are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import NOW
from tests.unit.payments.stripe_events import SECRET, body, event, sign
from timbra import jobs
from timbra.invoicing.models import Invoice
from timbra.payments.models import WebhookEvent
from timbra.payments.services.receive_webhook import receive_webhook
from timbra.payments.services.sweep_events import requeue_stuck_events

pytestmark = pytest.mark.django_db


def _store_without_job(connection, data, monkeypatch) -> WebhookEvent:
    payload = body(data)
    with monkeypatch.context() as patch:
        patch.setattr(jobs, "enqueue", lambda *a, **k: None)  # the job is lost
        return receive_webhook(
            connection, payload, sign(payload, SECRET, timestamp=int(NOW.timestamp())), now=NOW
        ).event


def test_an_event_whose_job_was_lost_is_processed_by_the_sweep(
    connection, monkeypatch, django_capture_on_commit_callbacks
):
    stored = _store_without_job(connection, event("invoice_paid"), monkeypatch)
    assert requeue_stuck_events(as_of=NOW + timedelta(seconds=30)) == 0  # too fresh: its job may be running

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stuck_events(as_of=NOW + timedelta(minutes=3)) == 1

    stored.refresh_from_db()
    assert stored.status == WebhookEvent.PROCESSED and Invoice.objects.count() == 1
    assert requeue_stuck_events(as_of=NOW + timedelta(minutes=10)) == 0
