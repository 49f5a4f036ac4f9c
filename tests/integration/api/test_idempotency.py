"""Idempotency-Key: a retried POST never creates a second invoice (reliability.md §1.2)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory

from tests.factories import NOW, SAT_DIR, make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.api import api as ninja_api
from timbra.api.idempotency import fingerprint
from timbra.customers.models import Customer
from timbra.invoicing.models import IdempotencyRecord, Invoice

pytestmark = pytest.mark.django_db

EDGAR = {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "regimen_fiscal": "601", "codigo_postal": "42501"}


def invoice_body(customer, product):
    return {"customer_id": customer.pk, "forma_pago": "04", "lines": [{"product_id": product.pk, "cantidad": "2"}]}


def test_the_same_key_twice_returns_the_same_invoice_and_creates_only_one(api, customer, product):
    # when
    first = api.post("/invoices", invoice_body(customer, product), key="orden-1001")
    again = api.post("/invoices", invoice_body(customer, product), key="orden-1001")
    # then
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Invoice.objects.count() == 1


def test_the_same_request_with_keys_in_another_order_is_still_a_replay(api, customer, product):
    # given
    body = invoice_body(customer, product)
    api.post("/invoices", body, key="k1")
    # when
    reordered = api.request("POST", "/invoices", raw=json.dumps(dict(reversed(list(body.items()))), indent=2),
                            headers={"Idempotency-Key": "k1"})
    # then
    assert reordered["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == 1


def test_without_a_key_each_post_creates_a_new_invoice(api, customer, product):
    # when
    api.post("/invoices", invoice_body(customer, product))
    api.post("/invoices", invoice_body(customer, product))
    # then
    assert Invoice.objects.count() == 2


@pytest.mark.parametrize("change", ["body", "path"])
def test_reusing_a_key_for_a_different_request_is_refused(api, customer, product, change):
    # given
    api.post("/invoices", invoice_body(customer, product), key="orden-1002")
    # when
    if change == "body":
        response = api.post("/invoices", {**invoice_body(customer, product), "serie": "B"}, key="orden-1002")
    else:
        response = api.post("/customers", EDGAR, key="orden-1002")
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert Invoice.objects.count() == 1 and not Customer.objects.filter(rfc="EWE1709045U0").exists()


def test_a_client_error_is_stored_and_replayed(api, customer, product):
    # when: the customer does not exist
    body = {**invoice_body(customer, product), "customer_id": 999999}
    first = api.post("/invoices", body, key="k-404")
    again = api.post("/invoices", body, key="k-404")
    # then
    assert first.status_code == again.status_code == 404
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content


def test_a_validation_error_stores_nothing_so_the_key_can_be_used_for_the_fixed_request(api, customer, product):
    # given: rejected by the schema before the handler ran
    bad = api.post("/invoices", {"customer_id": customer.pk, "lines": []}, key="k-fix")
    # when
    fixed = api.post("/invoices", invoice_body(customer, product), key="k-fix")
    # then
    assert bad.status_code == 422
    assert fixed.status_code == 202 and "Idempotent-Replayed" not in fixed


def test_a_server_error_releases_the_key_so_the_client_can_retry(api, monkeypatch):
    # given: the first attempt hits a bug
    from timbra.customers.services import create_customer

    def broken(*args, **kwargs):
        raise RuntimeError("falla")

    monkeypatch.setattr("timbra.api.routers.customers.create_customer", broken)
    failed = api.post("/customers", EDGAR, key="k-500")
    monkeypatch.setattr("timbra.api.routers.customers.create_customer", create_customer)
    # when
    retried = api.post("/customers", EDGAR, key="k-500")
    # then
    assert failed.status_code == 500
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried
    assert Customer.objects.filter(rfc="EWE1709045U0").count() == 1


def _in_flight(org, body, key, *, age=timedelta(0)):
    request = RequestFactory().post("/api/v1/customers", data=json.dumps(body), content_type="application/json")
    return IdempotencyRecord.objects.create(org=org, livemode=False, key=key, method="POST",
                                            path="/api/v1/customers", request_sha256=fingerprint(request),
                                            created_at=NOW - age)


def test_a_request_still_in_flight_with_that_key_is_a_409(api, org):
    # given: another worker inserted the record and is still running the handler
    _in_flight(org, EDGAR, "k-busy")
    # when
    response = api.post("/customers", EDGAR, key="k-busy")
    # then
    assert response.status_code == 409
    assert error_of(response)["code"] == "idempotency_request_in_progress"
    assert not Customer.objects.filter(rfc="EWE1709045U0").exists()


def test_a_request_that_died_long_ago_without_an_answer_can_be_retried(api, org):
    # given: its transaction rolled back with the process; only the claim remains
    _in_flight(org, EDGAR, "k-dead", age=timedelta(minutes=30))
    # when
    response = api.post("/customers", EDGAR, key="k-dead")
    # then
    assert response.status_code == 201
    assert IdempotencyRecord.objects.get(key="k-dead").status_code == 201


def test_keys_are_scoped_to_the_org_and_the_mode(org, customer, product):
    # given: the same key used by another org and by the live key of the same org
    test_api = ApiClient(make_token(org))
    live_api = ApiClient(make_token(org, livemode=True))
    other_api = ApiClient(make_token(make_org()))
    # when
    mine = test_api.post("/customers", EDGAR, key="shared")
    live = live_api.post("/customers", EDGAR, key="shared")
    theirs = other_api.post("/customers", EDGAR, key="shared")
    # then
    assert [r.status_code for r in (mine, live, theirs)] == [201, 201, 201]
    assert len({mine.json()["id"], live.json()["id"], theirs.json()["id"]}) == 3
    assert not any("Idempotent-Replayed" in r for r in (mine, live, theirs))


@pytest.mark.parametrize("key", ["", "x" * 256, "clave\ncon salto", "llave-ñ"])
def test_an_invalid_key_is_a_422(api, key):
    # when
    response = api.post("/customers", EDGAR, headers={"Idempotency-Key": key})
    # then
    assert response.status_code == 422
    assert error_of(response)["code"] == "idempotency_key_invalid"


def test_a_key_of_255_characters_is_accepted(api):
    # when
    response = api.post("/customers", EDGAR, key="k" * 255)
    # then
    assert response.status_code == 201


def test_a_replayed_api_key_creation_never_returns_or_stores_the_secret(api):
    # when
    first = api.post("/api-keys", {"name": "Integración"}, key="k-key")
    again = api.post("/api-keys", {"name": "Integración"}, key="k-key")
    # then
    token = first.json()["token"]
    assert token.startswith("sk_test_")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json()["token"] is None
    assert token.encode() not in bytes(IdempotencyRecord.objects.get(key="k-key").response_body)


def test_a_csd_upload_is_idempotent_and_its_password_is_not_stored(api):
    # given
    certs = SAT_DIR / "certs"
    files = {"password": "12345678a"}

    def upload():
        with (certs / "EKU9003173C9.cer").open("rb") as cer, (certs / "EKU9003173C9.key").open("rb") as key:
            return api.put_multipart("/org/csd", {**files, "cer": cer, "key": key}, key="k-csd")

    # when
    first, again = upload(), upload()
    # then
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    record = IdempotencyRecord.objects.get(key="k-csd")
    assert b"12345678a" not in bytes(record.response_body)


def test_every_post_and_put_of_the_api_honours_idempotency_keys():
    # given: every operation registered in the API, so new endpoints are checked too
    operations = [
        (method, path, op)
        for prefix, router in ninja_api._routers
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
        if method in ("POST", "PUT")
    ]
    # then
    assert operations
    missing = [f"{m} {p}" for m, p, op in operations if not getattr(op.view_func, "idempotent", False)]
    assert missing == [], f"add @idempotent() to: {missing}"


def test_a_crash_before_the_invoice_commits_leaves_nothing_so_the_retry_creates_it_once(
    api, customer, product, monkeypatch
):
    # given a server that dies inside the invoice's transaction, as the key's answer is written
    from timbra.api import idempotency

    class Crash(BaseException):
        pass

    def crash(*args, **kwargs):
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(idempotency, "_stored_body", crash)
        with pytest.raises(Crash):
            api.post("/invoices", invoice_body(customer, product), key="orden-crash")
    # then the invoice and its answer rolled back together: nothing half done
    assert Invoice.objects.count() == 0 and not IdempotencyRecord.objects.filter(key="orden-crash").exists()
    # when the client retries with the same key
    retried = api.post("/invoices", invoice_body(customer, product), key="orden-crash")
    again = api.post("/invoices", invoice_body(customer, product), key="orden-crash")
    # then exactly one invoice, and the second retry is a replay of the first answer
    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == 1 and again.json() == retried.json()


def test_the_invoice_and_the_keys_answer_commit_in_one_write_transaction(api, customer, product):
    # given the API's hot path (reliability: a write transaction holds SQLite's only write lock)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # when
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/invoices", invoice_body(customer, product), key="orden-uno")
    # then one transaction wrote the invoice and the stored answer
    record = IdempotencyRecord.objects.get(key="orden-uno")
    assert response.status_code == 202 and record.status_code == 202
    assert json.loads(bytes(record.response_body)) == response.json()
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert any("invoicing_idempotencyrecord" in sql for sql in writes)
    assert not any(sql.startswith("UPDATE") and "invoicing_idempotencyrecord" in sql for sql in writes)
    # (the test runs inside a transaction, so each atomic block shows up as a savepoint)
    assert sum(q["sql"].startswith("SAVEPOINT") for q in queries.captured_queries) == 1


def test_an_unanswered_key_from_a_request_that_died_after_creating_the_invoice_returns_that_invoice(
    api, org, customer, product, frozen
):
    # given a request that created its invoice (keyed by the Idempotency-Key) and died before
    # answering, leaving its record unanswered (how the claim-then-answer flow could end)
    from timbra.invoicing.create import create_invoice
    from timbra.invoicing.inputs import InvoiceInput, LineInput

    body = invoice_body(customer, product)
    request = RequestFactory().post("/api/v1/invoices", data=json.dumps(body), content_type="application/json")
    IdempotencyRecord.objects.create(org=org, livemode=False, key="orden-vieja", method="POST",
                                     path="/api/v1/invoices", request_sha256=fingerprint(request), created_at=NOW)
    first = create_invoice(org, InvoiceInput(customer_id=customer.pk, forma_pago="04", source="api",
                                             source_id="test:orden-vieja",
                                             lines=(LineInput(product_id=product.pk, cantidad=Decimal(2)),)),
                           livemode=False, as_of=NOW)
    # when the client retries: first while the record looks in flight...
    assert api.post("/invoices", body, key="orden-vieja").status_code == 409
    # ...then after the record went stale
    frozen.shift(timedelta(minutes=11))
    retried = api.post("/invoices", body, key="orden-vieja")
    # then it gets the invoice created the first time, not a second one, and the answer is kept
    assert retried.status_code == 202 and retried.json()["id"] == first.pk
    assert Invoice.objects.count() == 1
    assert IdempotencyRecord.objects.get(key="orden-vieja").status_code == 202
