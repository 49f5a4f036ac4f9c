"""Connections: secrets only encrypted and bound to their row, rotation, API key, the demo."""

from __future__ import annotations

import json

import pytest

from tests.factories import NOW
from tests.unit.payments.stripe_events import OTHER_SECRET, SECRET
from timbra.csd.vault import VaultError
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import GatewayConnection
from timbra.payments.services.connections import (
    add_signing_secret,
    api_key,
    connect_stripe,
    remove_signing_secret,
    set_api_key,
    signing_secrets,
    webhook_url,
)

pytestmark = pytest.mark.django_db

API_KEY = "rk_test_51PkdIwHu7ixRestrictedKey0001"


def test_secrets_and_api_key_are_stored_only_encrypted(org):
    connection = connect_stripe(org, signing_secret=SECRET, api_key=API_KEY, livemode=False, as_of=NOW)

    row = GatewayConnection.objects.get(pk=connection.pk)
    assert SECRET.encode() not in bytes(row.signing_secrets_encrypted)
    assert API_KEY.encode() not in bytes(row.api_key_encrypted)
    assert signing_secrets(row) == [SECRET] and api_key(row) == API_KEY
    assert row.signing_secret_hints[0]["hint"] == f"whsec_…{SECRET[-4:]}"
    assert row.api_key_hint == "rk_test_…0001"
    assert SECRET not in repr(row) and SECRET not in json.dumps(row.signing_secret_hints)


def test_an_encrypted_secret_copied_to_another_connection_does_not_decrypt(org):
    a = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    b = connect_stripe(org, signing_secret=OTHER_SECRET, livemode=True, as_of=NOW)

    b.signing_secrets_encrypted = a.signing_secrets_encrypted
    with pytest.raises(VaultError):
        signing_secrets(b)


def test_connecting_again_adds_the_new_secret_and_keeps_the_url(org):
    first = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    again = connect_stripe(org, signing_secret=OTHER_SECRET, livemode=False, as_of=NOW)

    assert again.pk == first.pk and again.webhook_token == first.webhook_token
    assert signing_secrets(again) == [SECRET, OTHER_SECRET]
    assert webhook_url(again).endswith(f"/hooks/stripe/{first.webhook_token}")


def test_each_org_and_mode_gets_its_own_unguessable_token(org):
    test = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    live = connect_stripe(org, signing_secret=OTHER_SECRET, livemode=True, as_of=NOW)

    assert test.webhook_token != live.webhook_token and len(test.webhook_token) >= 32


@pytest.mark.parametrize("bad", ["", "sk_test_123", "whsec_"])
def test_a_value_that_is_not_a_signing_secret_is_refused_in_spanish(org, bad):
    with pytest.raises(InvoicingError) as error:
        connect_stripe(org, signing_secret=bad, livemode=False, as_of=NOW)
    assert error.value.code == "signing_secret_invalid" and "whsec_" in error.value.message


def test_a_live_key_on_a_test_connection_is_refused(connection):
    with pytest.raises(InvoicingError) as error:
        set_api_key(connection, "rk_live_51PkdIwHu7ixRestrictedKey0001", as_of=NOW)
    assert error.value.code == "api_key_mode"


def test_the_only_secret_cannot_be_removed(connection):
    with pytest.raises(InvoicingError) as error:
        remove_signing_secret(connection, connection.signing_secret_hints[0]["id"], as_of=NOW)
    assert error.value.code == "last_secret"


def test_adding_the_same_secret_twice_keeps_one(connection):
    add_signing_secret(connection, SECRET, as_of=NOW)

    assert signing_secrets(connection) == [SECRET] and len(connection.signing_secret_hints) == 1


def test_the_demo_issuer_comes_with_a_test_stripe_connection_in_demo_json(db, frozen, settings, tmp_path):
    from timbra.demo import ensure_demo

    settings.TIMBRA_HOME = tmp_path
    info = ensure_demo()
    again = ensure_demo()

    assert again == info
    assert info["stripe_webhook_url"].startswith(settings.TIMBRA_BASE_URL + "/hooks/stripe/")
    assert info["stripe_signing_secret"].startswith("whsec_")
    connection = GatewayConnection.objects.get(org_id=info["org_id"])
    assert connection.livemode is False and signing_secrets(connection) == [info["stripe_signing_secret"]]
    assert (
        json.loads((tmp_path / "demo.json").read_text())["stripe_webhook_url"] == info["stripe_webhook_url"]
    )


def test_a_demo_made_before_stripe_gets_its_connection_added(db, frozen, settings, tmp_path):
    from timbra.demo import ensure_demo

    settings.TIMBRA_HOME = tmp_path
    info = ensure_demo()
    old = {k: v for k, v in info.items() if not k.startswith("stripe_")}
    (tmp_path / "demo.json").write_text(json.dumps(old))

    upgraded = ensure_demo()

    assert upgraded["stripe_signing_secret"] == info["stripe_signing_secret"]
    assert GatewayConnection.objects.count() == 1
