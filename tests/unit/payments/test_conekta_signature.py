"""Conekta's DIGEST verification (RSA-SHA256 over the raw body) and event parsing, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.payments.conekta_events import body, order_paid, public_pem, sign
from timbra.payments.gateways.base import PayloadRejected, SignatureRejected
from timbra.payments.gateways.conekta import ConektaAdapter, parse_event

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


def _verify(payload: bytes, digest: str | None, *keys: str):
    return ConektaAdapter().verify_and_parse(payload, digest, list(keys or (public_pem(),)), NOW)


def test_a_body_signed_with_the_webhook_key_parses_into_the_event():
    payload = body(order_paid())

    event = _verify(payload, sign(payload))

    assert (event.provider, event.event_type, event.event_id) == ("conekta", "order.paid", "6407b5bee1329a000175b9fa")
    assert event.object_id == "ord_2tKcHxhTz7xU5SymH" and event.livemode is False
    assert event.created == datetime.fromtimestamp(1795190341, tz=UTC)


def test_a_body_changed_after_signing_is_rejected():
    payload = body(order_paid())
    digest = sign(payload)

    with pytest.raises(SignatureRejected) as caught:
        _verify(payload.replace(b"116000", b"100"), digest)

    assert caught.value.code == "signature_invalid"


def test_a_signature_by_another_key_is_rejected():
    payload = body(order_paid())

    with pytest.raises(SignatureRejected):
        _verify(payload, sign(payload, "stranger"))


def test_during_a_rotation_both_the_old_and_the_new_key_are_accepted():
    payload = body(order_paid())
    keys = (public_pem("old"), public_pem("new"))

    assert _verify(payload, sign(payload, "old"), *keys).event_id
    assert _verify(payload, sign(payload, "new"), *keys).event_id


@pytest.mark.parametrize(("digest", "code"), [(None, "signature_missing"), ("", "signature_missing"),
                                              ("no es base64!", "signature_invalid")])
def test_a_missing_or_malformed_digest_is_rejected_with_its_code(digest, code):
    with pytest.raises(SignatureRejected) as caught:
        _verify(body(order_paid()), digest)

    assert caught.value.code == code


def test_a_broken_stored_key_never_verifies_anything():
    payload = body(order_paid())

    with pytest.raises(SignatureRejected):
        _verify(payload, sign(payload), "-----BEGIN PUBLIC KEY-----\nroto\n-----END PUBLIC KEY-----\n")


def test_an_old_signed_event_still_verifies_because_conekta_signs_no_timestamp():
    # Replays are absorbed by the inbox's unique event id, not by a time window.
    payload = body(order_paid())

    event = ConektaAdapter().verify_and_parse(payload, sign(payload), [public_pem()], datetime(2030, 1, 1, tzinfo=UTC))

    assert event.event_type == "order.paid"


@pytest.mark.parametrize(("payload", "code"), [
    (b"{no json", "payload_not_json"),
    (b'{"object": "order", "id": "ord_1"}', "payload_not_event"),
    (b'{"object": "event", "id": "e1", "type": "order.paid", "created_at": 1}', "payload_not_event"),
])
def test_a_signed_body_that_is_not_an_event_is_a_clear_payload_error(payload, code):
    with pytest.raises(PayloadRejected) as caught:
        _verify(payload, sign(payload))

    assert caught.value.code == code and caught.value.message


def test_stored_events_parse_with_decimal_numbers():
    data = order_paid()
    data["data"]["object"]["metadata"]["tipo_cambio"] = 17.0512

    event = parse_event(body(data).decode())

    assert str(event.data["metadata"]["tipo_cambio"]) == "17.0512"
