"""POST …/refunds/{refund_id}/retry and /dismiss (issue 3): a person acts on a held refund through
the API, under Idempotency-Key, with stable error codes."""

from __future__ import annotations

import pytest

from tests.factories import make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from tests.integration.refund_rows import egresos, held_by_creation_error, held_by_excess
from timbra.payments.models import Refund

pytestmark = pytest.mark.django_db



def _url(refund: Refund, action: str) -> str:
    return f"/gateway-payments/{refund.payment_id}/refunds/{refund.pk}/{action}"


def test_retrying_a_held_refund_issues_its_credit_note_and_a_replay_answers_the_same(
    api, stripe, stripe_webhook, django_capture_on_commit_callbacks
):
    # given a refund held by a fault that is gone now
    refund = held_by_creation_error(stripe_webhook)
    # when retried twice with one key, then once more with another
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(_url(refund, "retry"), key="retry-1")
    again = api.post(_url(refund, "retry"), key="retry-1")
    other = api.post(_url(refund, "retry"), key="retry-2")
    # then one Egreso; the replay is the same answer; a new attempt is refused with a stable code
    assert first.status_code == 200 and first.json()["status"] == "credited"
    assert first.json()["credit_note"]["id"] == egresos(stripe)[0].pk
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert other.status_code == 409 and error_of(other)["code"] == "refund_has_credit_note"
    assert len(egresos(stripe)) == 1


def test_dismissing_a_held_refund_records_the_reason_and_is_refused_once_dismissed(api, stripe, stripe_webhook):
    # given a refund that would exceed the invoice's total
    refund = held_by_excess(stripe_webhook)
    # when
    dismissed = api.post(_url(refund, "dismiss"), {"reason": "Devuelto en efectivo, sin CFDI."}, key="d-1")
    retried = api.post(_url(refund, "retry"), key="d-2")
    # then
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert "Devuelto en efectivo" in dismissed.json()["status_reason"]
    assert retried.status_code == 409 and error_of(retried)["code"] == "refund_not_held"


def test_dismissing_needs_a_reason(api, stripe, stripe_webhook):
    refund = held_by_excess(stripe_webhook)

    response = api.post(_url(refund, "dismiss"), {"reason": ""}, key="d-empty")

    assert response.status_code == 422
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD


def test_another_orgs_refund_is_404_and_untouched(stripe, stripe_webhook):
    # given a held refund of `org`, and a key of another org
    refund = held_by_excess(stripe_webhook)
    outsider = ApiClient(make_token(make_org()))
    # when
    retried = outsider.post(_url(refund, "retry"), key="x-1")
    dismissed = outsider.post(_url(refund, "dismiss"), {"reason": "no es mío"}, key="x-2")
    # then
    assert retried.status_code == 404 and dismissed.status_code == 404
    assert error_of(retried)["code"] == "not_found"
    assert Refund.objects.get(pk=refund.pk).status == Refund.HELD


def test_an_unknown_refund_of_a_real_payment_is_404(api, stripe, stripe_webhook):
    refund = held_by_excess(stripe_webhook)

    response = api.post(f"/gateway-payments/{refund.payment_id}/refunds/999999/retry", key="u-1")

    assert response.status_code == 404
