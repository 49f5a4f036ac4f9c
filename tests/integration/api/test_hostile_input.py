"""Hostile input at the API never gets a 500: every /api/v1/ answer is the JSON error envelope
(issue 14 §1, what schemathesis found)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.integration.api.conftest import BASE, error_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/customers"), ("PATCH", "/products/1"), ("POST", "/invoices"), ("PUT", "/org/csd"),
])
def test_multipart_without_a_boundary_is_a_json_400(api, method, path):
    # when: a multipart content type whose boundary is missing
    response = api.client.generic(method, BASE + path, data=b"--x\r\n", content_type="multipart/form-data",
                                  headers=api._headers({"Idempotency-Key": "k-" + path}))
    # then
    assert response.status_code in (400, 415)
    assert error_of(response)["code"] in ("malformed_body", "invalid_json")


@pytest.mark.parametrize("query", [
    "/payments?invoice_id=158960643342757427001736337956012032",
    "/invoices?customer_id=158960643342757427001736337956012032",
    "/invoices/158960643342757427001736337956012032",
])
def test_an_integer_out_of_range_is_a_json_422(api, query):
    # when
    response = api.client.get(BASE + query, headers=api._headers(None))
    # then: SQLite's integers stop at 2^63 (a 422); PostgreSQL compares it and finds nothing
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        assert response.json()["data"] == []
    else:
        assert response.status_code in (404, 422)
        assert error_of(response)["code"] in ("validation_error", "not_found")


def test_a_post_to_an_unknown_api_path_is_a_json_404_not_a_csrf_page(api):
    # given: a browser-like client that enforces CSRF, like the real server does
    client = Client(enforce_csrf_checks=True)
    # when
    response = client.post(BASE + "/invoices/1/no-such-action", data="{}", content_type="application/json",
                           headers=api._headers(None))
    # then
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(api):
    # when
    response = Client(enforce_csrf_checks=True).generic("DELETE", BASE + "/org", headers=api._headers(None))
    # then
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_sale_beyond_what_a_cfdi_can_carry_is_refused_before_it_is_stored(api, customer):
    # given a sale of 10^15 pesos (10^17 centavos)
    from tests.integration.api.test_gateways import SALE
    from timbra.payments.models import Payment

    # when
    response = api.post("/payments", {**SALE, "customer_id": customer.pk, "monto": "1000000000000000.00"}, key="big")
    # then
    assert response.status_code == 422
    assert error_of(response)["field"] == "monto"
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"objeto_imp": ""}, "objeto_imp"),
    ({"objeto_imp": "01"}, "taxes"),  # "no objeto" contradicts the product's IVA 16 %
    ({"descripcion": "Consultoría\x00\x07"}, "descripcion"),
    ({"descripcion": "   "}, "descripcion"),
    ({"clave_prod_serv": "\x1b[31m"}, "clave_prod_serv"),
])
def test_patching_a_product_gets_the_same_validation_as_creating_it(api, product, change, field):
    # given a product with IVA 16 %
    before = api.get(f"/products/{product.pk}").json()
    # when a PATCH would make it unusable
    response = api.patch(f"/products/{product.pk}", change)
    # then it is refused, naming the field, and the product is unchanged
    assert response.status_code == 422, response.content
    assert error_of(response)["field"] == field
    assert api.get(f"/products/{product.pk}").json() == before


def test_a_total_with_more_decimals_than_stored_is_a_422_not_a_500(api, customer, product):
    # given a CLF invoice (4 decimals in c_Moneda) whose totals need them; found by the
    # invoice-input property test while running the suite for issue 14
    body = {"customer_id": customer.pk, "forma_pago": "03", "moneda": "CLF", "tipo_cambio": "17.25",
            "lines": [{"product_id": product.pk, "cantidad": "1", "unit_price": "9.3088"}]}
    # when
    response = api.post("/invoices", body, key="clf")
    # then refused with a reason, never rounded silently, never a 500
    assert response.status_code == 422, response.content
    assert error_of(response)["code"] == "too_many_decimals"
