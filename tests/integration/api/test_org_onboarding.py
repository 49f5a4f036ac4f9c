"""/org/pac, /org/live, /org/stamps: onboarding through the API (same services as the wizard)."""

from __future__ import annotations

import pytest

from tests.factories import make_org
from tests.in_test_pac import GOOD
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.invoicing.models import IdempotencyRecord
from timbra.orgs.models import OrgPac

pytestmark = pytest.mark.django_db

FINKOK = {"name": "finkok", "credentials": GOOD, "test_environment": False}


def test_configuring_the_pac_needs_the_keys_scope(org):
    api = ApiClient(make_token(org, scopes="read,write"))

    response = api.request("PUT", "/org/pac", FINKOK)

    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"
    assert not OrgPac.objects.exists()


def test_pac_credentials_go_in_and_never_come_back(api, org):
    # when
    response = api.request("PUT", "/org/pac", FINKOK, headers={"Idempotency-Key": "pac-1"})
    replay = api.request("PUT", "/org/pac", FINKOK, headers={"Idempotency-Key": "pac-1"})
    # then
    body = response.json()
    assert response.status_code == 200, body
    assert (body["name"], body["test_environment"], body["last_check"]) == ("finkok", False, None)
    assert body["credential_hints"] == {"username": GOOD["username"], "password": "…-123"}
    assert replay["Idempotent-Replayed"] == "true" and replay.json() == body
    stored = bytes(IdempotencyRecord.objects.get(key="pac-1").response_body) + bytes(
        OrgPac.objects.get(org=org).credentials_encrypted)
    assert GOOD["password"].encode() not in stored
    assert GOOD["password"] not in api.get("/org/pac").content.decode()


def test_a_missing_credential_is_a_422_on_its_field(api):
    response = api.request("PUT", "/org/pac", {**FINKOK, "credentials": {"username": "u"}})

    error = error_of(response)
    assert response.status_code == 422
    assert (error["code"], error["field"]) == ("pac_credentials_missing", "password")


def test_probar_conexion_answers_ok_or_the_reason(api, finkok):
    api.request("PUT", "/org/pac", FINKOK)
    ok = api.post("/org/pac/check").json()
    api.request("PUT", "/org/pac", {**FINKOK, "credentials": {"username": "u", "password": "mala-contraseña-1"}})
    bad = api.post("/org/pac/check").json()

    assert ok["ok"] is True
    assert (bad["ok"], bad["code"]) == (False, "pac_credentials_rejected")
    assert api.get("/org/pac").json()["last_check"]["ok"] is False


def test_going_live_is_refused_with_reasons_then_accepted_with_a_real_pac(api, finkok):
    # given: only the sandbox
    api.request("PUT", "/org/pac", {"name": "sandbox", "test_environment": True})
    before = api.get("/org/live").json()
    # when
    refused = api.request("PUT", "/org/live", {"live": True})
    api.request("PUT", "/org/pac", FINKOK)
    accepted = api.request("PUT", "/org/live", {"live": True}, headers={"Idempotency-Key": "live-1"})
    again = api.request("PUT", "/org/live", {"live": True})
    # then
    assert [b["code"] for b in before["blockers"]] == ["pac_is_sandbox"]
    error = error_of(refused)
    assert refused.status_code == 422 and error["code"] == "live_refused"
    assert "no da validez fiscal" in error["message"]
    assert accepted.status_code == 200 and accepted.json()["live_enabled"] is True
    assert again.json() == accepted.json()
    assert api.get("/org").json()["live_enabled"] is True


def test_switching_live_off(api, org, finkok):
    api.request("PUT", "/org/pac", FINKOK)
    api.request("PUT", "/org/live", {"live": True})

    body = api.request("PUT", "/org/live", {"live": False}).json()

    assert body["live_enabled"] is False and body["blockers"] == []


def test_another_orgs_key_neither_sees_nor_changes_this_orgs_pac(api, org, finkok):
    api.request("PUT", "/org/pac", FINKOK)
    other = ApiClient(make_token(make_org(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA",
                                          with_csd=False)))

    seen = other.get("/org/pac")
    smuggled = other.request("PUT", "/org/live", {"live": True, "org_id": org.pk})
    refused = other.request("PUT", "/org/live", {"live": True})

    assert seen.status_code == 404 and error_of(seen)["code"] == "pac_not_configured"
    assert smuggled.status_code == 422 and error_of(smuggled)["code"] == "validation_error"
    assert error_of(refused)["code"] == "live_refused"
    org.refresh_from_db()
    assert org.live_enabled_at is None and OrgPac.objects.get().org_id == org.pk


def test_stamps_per_month(api, org, customer, product, django_capture_on_commit_callbacks):
    from tests.factories import make_invoice

    with django_capture_on_commit_callbacks(execute=True):
        make_invoice(org, customer, product=product)

    months = api.get("/org/stamps", {"months": 2}).json()

    assert months == [{"month": "2026-11", "test": 1, "live": 0}, {"month": "2026-10", "test": 0, "live": 0}]
