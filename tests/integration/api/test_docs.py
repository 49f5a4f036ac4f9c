"""The OpenAPI document and its docs page are served and describe the contract."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_openapi_document_describes_bearer_auth_idempotency_and_every_resource():
    # when
    schema = Client().get("/api/v1/openapi.json").json()
    # then
    paths = schema["paths"]
    assert {"/api/v1/customers", "/api/v1/products", "/api/v1/invoices", "/api/v1/invoices/{invoice_id}/pdf",
            "/api/v1/api-keys", "/api/v1/org", "/api/v1/org/csd", "/api/v1/sandbox-pac/certificate"} <= set(paths)
    assert any(s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values())
    create = paths["/api/v1/invoices"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert "multipart/form-data" in paths["/api/v1/org/csd"]["put"]["requestBody"]["content"]
    assert "security" not in paths["/api/v1/sandbox-pac/certificate"]["get"]


def test_the_docs_page_is_served():
    # when
    response = Client().get("/api/v1/docs")
    # then
    assert response.status_code == 200
    assert b"Timbra API" in response.content
