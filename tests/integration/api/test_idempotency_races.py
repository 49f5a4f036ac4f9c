"""Requests racing with the same Idempotency-Key: one invoice, the same answer for all."""

from __future__ import annotations

import pytest

from tests.concurrency import race
from tests.factories import make_customer, make_org, make_product
from tests.integration.api.conftest import ApiClient, make_token
from timbra import jobs
from timbra.invoicing.models import IdempotencyRecord, Invoice

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_requests_with_one_key_at_the_same_instant_create_one_invoice_and_answer_it(frozen, monkeypatch):
    # given
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    org = make_org()
    token = make_token(org)
    customer, product = make_customer(org), make_product(org)
    body = {"customer_id": customer.pk, "forma_pago": "04", "lines": [{"product_id": product.pk, "cantidad": "1"}]}
    # when four clients send it together
    results, errors = race(*[lambda: ApiClient(token).post("/invoices", body, key="orden-777")] * 4)
    # then one invoice; every answer that is not "still in progress" is that invoice
    assert errors == []
    assert Invoice.objects.count() == 1
    invoice = Invoice.objects.get()
    answered = [r for r in results if r.status_code == 202]
    assert answered and all(r.json()["id"] == invoice.pk for r in answered)
    assert all(r.status_code in (202, 409) for r in results)
    assert IdempotencyRecord.objects.get(key="orden-777").status_code == 202


def test_two_different_requests_racing_with_one_key_create_one_invoice_and_refuse_the_other(frozen, monkeypatch):
    # given
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    org = make_org()
    token = make_token(org)
    customer, product = make_customer(org), make_product(org)

    def body(cantidad: str) -> dict[str, object]:
        return {"customer_id": customer.pk, "forma_pago": "04",
                "lines": [{"product_id": product.pk, "cantidad": cantidad}]}

    # when
    results, errors = race(lambda: ApiClient(token).post("/invoices", body("1"), key="orden-888"),
                           lambda: ApiClient(token).post("/invoices", body("2"), key="orden-888"))
    # then
    assert errors == []
    assert Invoice.objects.count() == 1
    assert sorted(r.status_code for r in results) in ([202, 409], [202, 422])
