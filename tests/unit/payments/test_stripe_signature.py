"""Stripe-Signature verification (official package) and event parsing, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import stripe

from tests.unit.payments.stripe_events import OTHER_SECRET, SECRET, body, event, sign
from timbra.payments.gateways.base import PayloadRejected, SignatureRejected
from timbra.payments.gateways.stripe import StripeAdapter, parse_event, verify_signature

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def test_the_hand_made_signature_matches_the_official_library():
    payload = body(event("invoice_paid"))

    ours = sign(payload, SECRET, timestamp=T)
    official = stripe.WebhookSignature.generate_signature_header(payload.decode(), SECRET, timestamp=T)

    assert ours == official


def test_a_valid_signature_parses_into_the_event():
    payload = body(event("invoice_paid"))

    parsed = StripeAdapter().verify_and_parse(payload, sign(payload, timestamp=T), [SECRET], NOW)

    assert (parsed.event_id, parsed.event_type, parsed.livemode) == (
        "evt_1QhKx2LkdIwHu7ixAbCdEf01",
        "invoice.paid",
        False,
    )
    assert parsed.object_id == "in_1QhKwzLkdIwHu7ixGhIjKl01" and parsed.api_version == "2024-06-20"
    assert parsed.created == datetime(2026, 11, 20, 15, 59, tzinfo=UTC)


def test_any_of_the_connection_secrets_verifies():
    payload = body(event("invoice_paid"))

    verify_signature(payload, sign(payload, OTHER_SECRET, timestamp=T), [SECRET, OTHER_SECRET], now=NOW)


def test_a_header_with_several_v1_values_is_accepted_if_one_matches():
    payload = body(event("invoice_paid"))

    verify_signature(
        payload, sign(payload, "whsec_rotated_away_000000", SECRET, timestamp=T), [SECRET], now=NOW
    )


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "signature_missing"),
        ("", "signature_missing"),
        ("garbage", "signature_invalid"),
        (f"t={T}", "signature_invalid"),
        (f"t={T},v0=abc", "signature_invalid"),
    ],
)
def test_missing_or_malformed_headers_are_rejected(header, code):
    with pytest.raises(SignatureRejected) as error:
        verify_signature(b"{}", header, [SECRET], now=NOW)
    assert error.value.code == code


def test_a_signature_with_the_wrong_secret_is_rejected():
    payload = body(event("invoice_paid"))

    with pytest.raises(SignatureRejected) as error:
        verify_signature(payload, sign(payload, OTHER_SECRET, timestamp=T), [SECRET], now=NOW)
    assert error.value.code == "signature_invalid"


def test_a_reserialized_body_no_longer_verifies():
    data = event("invoice_paid")
    header = sign(body(data), timestamp=T)
    compact = body(data).replace(b"\n", b"").replace(b"  ", b"")

    with pytest.raises(SignatureRejected):
        verify_signature(compact, header, [SECRET], now=NOW)


def test_the_age_is_measured_against_the_given_now_not_the_clock():
    payload = body(event("invoice_paid"))
    header = sign(payload, timestamp=T)

    verify_signature(payload, header, [SECRET], now=NOW + timedelta(seconds=300))
    with pytest.raises(SignatureRejected) as error:
        verify_signature(payload, header, [SECRET], now=NOW + timedelta(seconds=301))
    assert error.value.code == "signature_stale"


def test_a_non_utf8_body_is_rejected_as_unsigned():
    with pytest.raises(SignatureRejected):
        verify_signature(b"\xff\xfe", sign(b"\xff\xfe", timestamp=T), [SECRET], now=NOW)


def test_no_secrets_means_nothing_verifies():
    payload = body(event("invoice_paid"))

    with pytest.raises(SignatureRejected):
        verify_signature(payload, sign(payload, timestamp=T), [], now=NOW)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"not json", "payload_not_json"),
        (b"[]", "payload_not_event"),
        (b'{"object": "v2.core.event", "id": "evt_1", "type": "x"}', "payload_not_event"),
        (
            b'{"object": "event", "id": "evt_1", "type": "x", "created": 1, "data": {"object": "nope"}}',
            "payload_not_event",
        ),
    ],
)
def test_bodies_that_are_not_stripe_events_are_rejected_with_a_code(payload, code):
    with pytest.raises(PayloadRejected) as error:
        parse_event(payload)
    assert error.value.code == code and error.value.message


def test_floats_are_parsed_as_decimal():
    parsed = parse_event(body(event("charge_succeeded_usd")))

    assert parsed.data["balance_transaction"]["exchange_rate"] == Decimal("18.174283")
