"""API fixtures: keys for `org`, and a small client that speaks JSON with a bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories import NOW
from timbra.orgs.models import Org
from timbra.orgs.services import create_api_key

BASE = "/api/v1"
ALL_SCOPES = "read,write,keys"


def make_token(org: Org, *, livemode: bool = False, scopes: str = ALL_SCOPES, name: str = "Pruebas") -> str:
    _, token = create_api_key(org, name=name, livemode=livemode, scopes=scopes, as_of=NOW)
    return token


class ApiClient:
    """JSON in, JSON out, `Authorization: Bearer <token>` (or none)."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                raw: bytes | str | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return self.client.generic(method, BASE + path, data=data, content_type="application/json",
                                   headers=self._headers(headers))

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self._headers(kw.get("headers")))

    def post(self, path: str, body: Any = None, *, key: str | None = None, **kw: Any) -> Any:
        headers = {**({"Idempotency-Key": key} if key else {}), **(kw.pop("headers", None) or {})}
        return self.request("POST", path, body if body is not None else {}, headers=headers, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> Any:
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)

    def put_multipart(self, path: str, data: dict[str, Any], *, key: str | None = None) -> Any:
        from django.test.client import MULTIPART_CONTENT, encode_multipart

        boundary = "TimbraBoundary"
        headers = self._headers({"Idempotency-Key": key} if key else None)
        return self.client.generic("PUT", BASE + path, data=encode_multipart(boundary, data),
                                   content_type=f"{MULTIPART_CONTENT.split(';')[0]}; boundary={boundary}",
                                   headers=headers)


@pytest.fixture
def token(org) -> str:
    return make_token(org)


@pytest.fixture
def api(token) -> ApiClient:
    """A test-mode key of `org` with every scope."""
    return ApiClient(token)


def error_of(response: Any) -> dict[str, str]:
    """The error envelope's inner object (asserting the envelope shape on the way)."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]
