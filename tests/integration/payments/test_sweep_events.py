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


def test_an_event_failing_unexpectedly_n_times_is_held_with_a_reason_and_not_swept_again(connection, monkeypatch):
    # given an event whose processing always crashes (issue 14 §1: poison work)
    from timbra.payments.services import process_event as module
    from timbra.payments.services.sweep_events import MAX_ATTEMPTS

    stored = _store_without_job(connection, event("invoice_paid"), monkeypatch)
    monkeypatch.setattr(module, "record_payment", lambda *a, **k: (_ for _ in ()).throw(TypeError("x")))
    # when it is processed MAX_ATTEMPTS times
    for attempt in range(MAX_ATTEMPTS):
        with pytest.raises(TypeError):
            module.process_event(stored.pk, as_of=NOW + timedelta(minutes=attempt))
        stored.refresh_from_db()
        assert ("se reintentará" in stored.reason) == (attempt < MAX_ATTEMPTS - 1)
    # then it says it stopped, and the sweep leaves it for a person
    assert stored.status == WebhookEvent.FAILED and "ya no se reintenta solo" in stored.reason
    assert requeue_stuck_events(as_of=NOW + timedelta(days=1)) == 0
