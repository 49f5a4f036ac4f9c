"""Authentication and scopes: who may call, and the org/mode come only from the key."""

from __future__ import annotations

import pytest

from tests.factories import NOW
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.customers.models import Customer
from timbra.orgs.models import ApiKey
from timbra.orgs.services import revoke_api_key

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "regimen_fiscal": "601",
                "codigo_postal": "42501"}


def test_a_request_without_a_key_is_a_401_in_spanish_json(org):
    # when
    response = ApiClient().get("/customers")
    # then
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "unauthorized"
    assert "API key" in error["message"] and "Bearer" in error["message"]
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("authorization", [
    "Bearer nada",
    "Bearer sk_test_000000000000_" + "0" * 64,
    "Basic dXN1YXJpbzpjbGF2ZQ==",
    "sk_test_sin_esquema",
])
def test_an_unknown_or_malformed_key_is_a_401(org, token, authorization):
    # when
    response = ApiClient().get("/customers", headers={"Authorization": authorization})
    # then
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_key_with_a_tampered_secret_is_a_401(org, token):
    # given: the right public prefix, a wrong secret
    tampered = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    # when
    response = ApiClient(tampered).get("/customers")
    # then
    assert response.status_code == 401


def test_a_revoked_key_is_a_401(org, token):
    # given
    revoke_api_key(ApiKey.objects.get(org=org), as_of=NOW)
    # when
    response = ApiClient(token).get("/customers")
    # then
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_a_read_only_key_reads_but_cannot_write(org):
    # given
    reader = ApiClient(make_token(org, scopes="read"))
    # when
    listed = reader.get("/customers")
    created = reader.post("/customers", NEW_CUSTOMER)
    # then
    assert listed.status_code == 200
    assert created.status_code == 403
    error = error_of(created)
    assert error["code"] == "insufficient_scope"
    assert "«write»" in error["message"]
    assert not Customer.objects.exists()


def test_a_write_key_cannot_manage_api_keys_nor_replace_the_csd(org):
    # given: what `timbra createkey` and the demo hand out
    writer = ApiClient(make_token(org, scopes="read,write"))
    # when
    responses = [
        writer.get("/api-keys"),
        writer.post("/api-keys", {"name": "otra"}),
        writer.put_multipart("/org/csd", {"password": "12345678a"}),
    ]
    # then
    for response in responses:
        assert response.status_code == 403
        assert error_of(response)["code"] == "insufficient_scope"
        assert "«keys»" in error_of(response)["message"]


def test_the_org_and_mode_come_from_the_key_never_from_the_request(org):
    # given: a second org the caller tries to write into
    from tests.factories import make_org

    other = make_org()
    api = ApiClient(make_token(org))
    # when: a tenant header and query are ignored; tenant fields in the body are refused
    created = api.post(f"/customers?org_id={other.pk}&livemode=true", NEW_CUSTOMER,
                       headers={"X-Org-Id": str(other.pk), "X-Livemode": "true"})
    smuggled = api.post("/customers", {**NEW_CUSTOMER, "org_id": other.pk, "livemode": True})
    # then
    assert created.status_code == 201
    customer = Customer.objects.get(pk=created.json()["id"])
    assert (customer.org_id, customer.livemode) == (org.pk, False)
    assert smuggled.status_code == 422
    assert error_of(smuggled)["code"] == "validation_error"
    assert not Customer.objects.filter(org=other).exists()


def test_the_sandbox_pac_certificate_is_public_pem(db):
    # when
    response = ApiClient().get("/sandbox-pac/certificate")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
