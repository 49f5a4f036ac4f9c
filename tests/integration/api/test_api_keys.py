"""/api-keys: the secret is shown once; a key manages only keys of its own org and mode."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.orgs.models import ApiKey

pytestmark = pytest.mark.django_db


def test_creating_a_key_returns_its_secret_once_and_the_new_key_works(api, org):
    # when
    created = api.post("/api-keys", {"name": "Tienda en línea", "scopes": ["read"]})
    listed = api.get("/api-keys").json()["data"]
    # then
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(body["prefix"] + "_")
    assert (body["livemode"], body["scopes"]) == (False, ["read"])
    assert {k["name"] for k in listed} == {"Pruebas", "Tienda en línea"}
    assert all("token" not in k and "secret_hash" not in k for k in listed)
    new_key = ApiClient(body["token"])
    assert new_key.get("/customers").status_code == 200
    assert new_key.post("/customers", {}).status_code == 403


def test_a_test_key_creates_test_keys_only_and_cannot_see_live_ones(org):
    # given
    live_id = ApiKey.objects.get(prefix=make_token(org, livemode=True, name="Producción").rsplit("_", 1)[0]).pk
    test_api = ApiClient(make_token(org))
    # when
    created = test_api.post("/api-keys", {"name": "Otra"}).json()
    listed = test_api.get("/api-keys").json()["data"]
    revoke_live = test_api.delete(f"/api-keys/{live_id}")
    # then
    assert created["livemode"] is False and created["token"].startswith("sk_test_")
    assert "Producción" not in {k["name"] for k in listed}
    assert revoke_live.status_code == 404
    assert ApiKey.objects.get(pk=live_id).revoked_at is None


def test_revoking_a_key_shuts_it_out_at_once(api, org):
    # given
    doomed_token = make_token(org, name="Vieja")
    doomed = ApiKey.objects.get(name="Vieja")
    # when
    revoked = api.delete(f"/api-keys/{doomed.pk}")
    again = api.delete(f"/api-keys/{doomed.pk}")
    # then
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert again.status_code == 200
    assert ApiClient(doomed_token).get("/customers").status_code == 401


def test_an_unknown_scope_is_refused(api):
    # when
    response = api.post("/api-keys", {"name": "x", "scopes": ["admin"]})
    # then
    assert response.status_code == 422
    assert error_of(response)["field"] == "scopes[0]"
