"""Connecting Conekta and Mercado Pago: what each gateway gives, checked, stored encrypted."""

from __future__ import annotations

import json

import pytest

from tests.factories import NOW
from tests.unit.payments.conekta_events import public_pem
from tests.unit.payments.mercadopago_events import ACCESS_TOKEN, OTHER_SECRET, SECRET
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import GatewayConnection
from timbra.payments.services.connections import (
    MAX_SIGNING_SECRETS,
    api_key,
    connect_conekta,
    connect_mercadopago,
    remove_signing_secret,
    signing_secrets,
    webhook_url,
)

pytestmark = pytest.mark.django_db

CONEKTA_KEY = "key_Zz9yXwVuTsRqPoNmLk"


def test_conekta_keeps_its_public_keys_and_private_key_encrypted_with_readable_hints(org):
    connection = connect_conekta(org, public_keys=[public_pem()], api_key=CONEKTA_KEY, livemode=False, as_of=NOW)

    row = GatewayConnection.objects.get(pk=connection.pk)
    assert (row.provider, row.status) == ("conekta", GatewayConnection.ACTIVE)
    assert signing_secrets(row) == [public_pem().strip()] and api_key(row) == CONEKTA_KEY
    assert CONEKTA_KEY.encode() not in bytes(row.api_key_encrypted)
    assert row.signing_secret_hints[0]["hint"].startswith("RSA …") and row.api_key_hint == "key_Zz9y…NmLk"
    assert webhook_url(row).endswith(f"/hooks/conekta/{row.webhook_token}")


def test_a_key_pasted_from_conektas_json_answer_with_escaped_newlines_is_accepted(org):
    escaped = public_pem().replace("\n", "\\n")

    connection = connect_conekta(org, public_keys=[escaped], livemode=False, as_of=NOW)

    assert signing_secrets(connection) == [public_pem().strip()]


def test_connecting_again_adds_the_new_key_for_a_rotation_and_the_old_can_be_removed(org):
    first = connect_conekta(org, public_keys=[public_pem("old")], livemode=False, as_of=NOW)
    again = connect_conekta(org, public_keys=[public_pem("new"), public_pem("old")], livemode=False, as_of=NOW)

    assert again.pk == first.pk and signing_secrets(again) == [public_pem("old").strip(), public_pem("new").strip()]
    remove_signing_secret(again, again.signing_secret_hints[0]["id"], as_of=NOW)
    assert signing_secrets(GatewayConnection.objects.get(pk=again.pk)) == [public_pem("new").strip()]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"public_keys": []}, "signing_secret_invalid"),
    ({"public_keys": ["whsec_notakey0000000000"]}, "signing_secret_invalid"),
    ({"public_keys": [public_pem()], "api_key": "pk_test_public"}, "api_key_invalid"),
])
def test_conekta_rejects_what_is_not_its_webhook_key_or_private_key(org, kwargs, code):
    with pytest.raises(InvoicingError) as caught:
        connect_conekta(org, livemode=False, as_of=NOW, **kwargs)

    assert caught.value.code == code and caught.value.message
    assert GatewayConnection.objects.count() == 0


def test_too_many_keys_at_once_are_refused(org):
    keys = [public_pem(f"k{n}") for n in range(MAX_SIGNING_SECRETS + 1)]

    with pytest.raises(InvoicingError) as caught:
        connect_conekta(org, public_keys=keys, livemode=False, as_of=NOW)

    assert caught.value.code == "too_many_secrets"


def test_mercado_pago_keeps_its_secret_and_access_token_encrypted(org):
    connection = connect_mercadopago(org, webhook_secret=SECRET, access_token=ACCESS_TOKEN, livemode=False, as_of=NOW)
    connect_mercadopago(org, webhook_secret=OTHER_SECRET, livemode=False, as_of=NOW)  # rotation

    row = GatewayConnection.objects.get(pk=connection.pk)
    assert signing_secrets(row) == [SECRET, OTHER_SECRET] and api_key(row) == ACCESS_TOKEN
    assert SECRET not in json.dumps(row.signing_secret_hints) and ACCESS_TOKEN.encode() not in bytes(row.api_key_encrypted)
    assert row.signing_secret_hints[0]["hint"] == f"…{SECRET[-4:]}"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"webhook_secret": "corta"}, "signing_secret_invalid"),
    ({"webhook_secret": SECRET, "access_token": "not-a-token-at-all-0000"}, "api_key_invalid"),
    ({"webhook_secret": SECRET, "access_token": "TEST-6295877106812064-042916-abc", "livemode": True}, "api_key_mode"),
])
def test_mercado_pago_rejects_bad_credentials_with_a_clear_code(org, kwargs, code):
    with pytest.raises(InvoicingError) as caught:
        connect_mercadopago(org, **{"livemode": False, "as_of": NOW, **kwargs})

    assert caught.value.code == code
