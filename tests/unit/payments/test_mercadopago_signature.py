"""Mercado Pago's x-signature (HMAC-SHA256 of the id/request-id/ts manifest), no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.payments.mercadopago_events import (
    OTHER_SECRET,
    PAYMENT_ID,
    SECRET,
    body,
    notification,
    signature,
)
from timbra.payments.gateways.base import PayloadRejected, SignatureRejected
from timbra.payments.gateways.mercadopago import MercadoPagoAdapter, manifest, sign, signature_material

NOW = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
T = int(NOW.timestamp())
REQUEST_ID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e"


def _verify(payload: bytes, x_signature: str | None, *, secrets=(SECRET,), request_id=REQUEST_ID,
            query_id: str | None = PAYMENT_ID, now=NOW):
    material = signature_material(x_signature, request_id, query_id)
    return MercadoPagoAdapter().verify_and_parse(payload, material, list(secrets), now)


def test_the_manifest_follows_mercado_pagos_template():
    assert manifest("1319750387", REQUEST_ID, "1795190400") == f"id:1319750387;request-id:{REQUEST_ID};ts:1795190400;"
    # alphanumeric ids are signed lowercased; absent values leave their label out
    assert manifest("ORD01ABC", "", "1795190400") == "id:ord01abc;ts:1795190400;"
    assert signature(PAYMENT_ID, REQUEST_ID, T) == f"ts={T},v1={sign(PAYMENT_ID, REQUEST_ID, str(T), SECRET)}"


def test_a_signed_notification_parses_into_an_event_about_the_payment():
    event = _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T))

    assert (event.provider, event.event_id, event.event_type) == ("mercadopago", "118574630412", "payment.created")
    assert event.object_id == PAYMENT_ID and event.livemode is False
    assert event.created == datetime(2026, 11, 20, 15, 58, 44, tzinfo=UTC)


def test_without_a_query_id_the_bodys_payment_id_is_the_signed_one():
    assert _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T), query_id=None).object_id == PAYMENT_ID


def test_a_signature_made_with_another_secret_is_rejected():
    with pytest.raises(SignatureRejected) as caught:
        _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T, OTHER_SECRET))

    assert caught.value.code == "signature_invalid"


def test_a_signature_for_another_payment_or_request_is_rejected():
    other_payment = signature("999", REQUEST_ID, T)
    other_request = signature(PAYMENT_ID, "another-request", T)

    for header in (other_payment, other_request):
        with pytest.raises(SignatureRejected):
            _verify(body(notification()), header)


def test_a_body_naming_another_payment_than_the_signed_url_is_rejected():
    tampered = body(notification("999"))

    with pytest.raises(SignatureRejected) as caught:
        _verify(tampered, signature(PAYMENT_ID, REQUEST_ID, T))

    assert "data.id" in caught.value.message


def test_during_a_rotation_either_secret_is_accepted():
    secrets = (OTHER_SECRET, SECRET)

    assert _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T), secrets=secrets).event_id
    assert _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T, OTHER_SECRET), secrets=secrets).event_id


def test_a_stale_signature_is_rejected_and_a_recent_one_in_milliseconds_accepted():
    stale = T - 301
    with pytest.raises(SignatureRejected) as caught:
        _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, stale))
    assert caught.value.code == "signature_stale"

    millis = (T - 60) * 1000
    assert _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, millis)).event_id


@pytest.mark.parametrize(("header", "code"), [(None, "signature_missing"), ("v1=abc", "signature_invalid"),
                                              ("ts=abc,v1=abc", "signature_invalid"),
                                              (f"ts={T},v1=ñandú", "signature_invalid")])
def test_a_missing_or_malformed_signature_header_is_rejected(header, code):
    with pytest.raises(SignatureRejected) as caught:
        _verify(body(notification()), header)

    assert caught.value.code == code


@pytest.mark.parametrize(("payload", "code"), [
    (b"not json", "payload_not_json"),
    (b'{"type": "payment"}', "payload_not_event"),
    (b'{"id": 1, "type": "payment", "data": {}}', "payload_not_event"),
])
def test_a_body_that_is_not_a_notification_is_a_clear_payload_error(payload, code):
    with pytest.raises(PayloadRejected) as caught:
        _verify(payload, signature(PAYMENT_ID, REQUEST_ID, T))

    assert caught.value.code == code and caught.value.message


def test_the_time_window_is_measured_against_the_given_now():
    later = NOW + timedelta(minutes=10)

    with pytest.raises(SignatureRejected):
        _verify(body(notification()), signature(PAYMENT_ID, REQUEST_ID, T), now=later)
