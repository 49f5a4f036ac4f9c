"""The API under OpenAPI-driven hostile input (schemathesis, issue 14 §1): for every operation,
a bounded number of generated requests (valid and invalid) against the real API and database
(SQLite in `tests/`, PostgreSQL when DATABASE_URL points there), asserting no 5xx and responses
that match the published schema. Nothing leaves the process: requests go to Django's WSGI
handler, and any socket to a non-local address is refused."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.integration.api.conftest import make_token

pytestmark = pytest.mark.django_db

EXAMPLES = 8  # per operation, valid and invalid: ≈ 500 requests, about half a minute on this machine
CHECKS = ["not_a_server_error", "response_schema_conformance", "content_type_conformance"]
# What a run would change outside the database or test on purpose elsewhere: the PAC settings and
# their live connection test talk to a PAC; revoking keys would revoke the run's own key.
SKIPPED = {("POST", "/api/v1/org/pac/check"), ("PUT", "/api/v1/org/pac"), ("PUT", "/api/v1/org/live"),
           ("DELETE", "/api/v1/api-keys/{key_id}")}


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """Django's WSGI handler, minus the end-of-request connection close (as Django's test client
    does): every request runs inside the test's transaction."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def no_internet(monkeypatch) -> None:
    real_connect = socket.socket.connect

    def local_only(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else ""
        if host and host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"test: no internet ({host})")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", local_only)


def test_no_operation_answers_a_5xx_or_off_schema(org, customer, product, wsgi_app, no_internet):
    # given the real API with a key of every scope, and the schema it publishes
    headers = {"Authorization": f"Bearer {make_token(org)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    checks = [getattr(schemathesis.checks, name) for name in CHECKS]
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    ran = 0
    # when every operation gets its bounded share of generated requests
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks)
            except AssertionError as exc:
                failures.append(f"{case.method} {case.path}: {str(exc)[:600]}")

        run()
        ran += 1
    # then
    print(f"schemathesis: {sum(statuses.values())} requests over {ran} operations, statuses {dict(statuses)}")
    assert ran >= 60 and statuses[200] + statuses[201] > 50  # it reached the real work, not only 4xx
    assert not [code for code in statuses if code >= 500]
    assert failures == [], "\n\n".join(failures[:20])
