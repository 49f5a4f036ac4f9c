"""Every error is `{"error": {"code", "message", "field"}}` with a stable code and Spanish text."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import error_of

pytestmark = pytest.mark.django_db


def _invoice(customer, product, **line):
    return {"customer_id": customer.pk, "forma_pago": "04", "lines": [{"product_id": product.pk, **line}]}


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"lines": []}, "customer_id", "Falta el campo obligatorio"),
    ({"customer_id": "uno", "lines": []}, "customer_id", "número entero"),
    ({"customer_id": 1, "lines": []}, "lines", "al menos 1"),
    ({"customer_id": 1, "lines": [{"cantidad": "abc"}]}, "lines[0].cantidad", "debe ser un número"),
    ({"customer_id": 1, "lines": [{"cantidad": "1.1234567"}]}, "lines[0].cantidad", "6 decimales"),
    ({"customer_id": 1, "lines": [{"cantidad": "0"}]}, "lines[0].cantidad", "mayor que 0"),
    ({"customer_id": 1, "lines": [{"unit_price": "-1"}]}, "lines[0].unit_price", "mayor o igual a 0"),
    ({"customer_id": 1, "lines": [{"descuento": "Infinity"}]}, "lines[0].descuento", "número"),
    ({"customer_id": 1, "lines": [{}], "total": "10"}, "total", "no es un campo permitido"),
    ({"customer_id": 1, "lines": [{}], "send_email": "quizá"}, "send_email", "verdadero o falso"),
])
def test_an_invalid_invoice_body_is_a_422_naming_the_field_in_spanish(api, body, field, words):
    # when
    response = api.post("/invoices", body)
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["field"] == field
    assert f"«{field}»" in error["message"] or not field
    assert words in error["message"]


def test_a_missing_body_is_a_422_in_spanish(api):
    # when
    response = api.request("POST", "/customers", raw="")
    # then
    assert response.status_code == 422
    assert error_of(response) == {"code": "validation_error", "message": "Falta el cuerpo de la solicitud (JSON)."}


def test_a_body_that_is_not_json_is_a_400_invalid_json(api):
    # when
    response = api.request("POST", "/customers", raw="{rfc: ")
    # then
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_a_bad_query_parameter_is_a_422_naming_it(api):
    # when
    too_many = api.get("/customers", {"limit": 101})
    bad_status = api.get("/invoices", {"status": "pagada"})
    bad_cursor = api.get("/customers", {"cursor": "no-es-un-cursor"})
    # then
    assert (too_many.status_code, error_of(too_many)["field"]) == (422, "limit")
    assert "menor o igual a 100" in error_of(too_many)["message"]
    assert (bad_status.status_code, error_of(bad_status)["field"]) == (422, "status")
    assert "draft" in error_of(bad_status)["message"]
    assert (bad_cursor.status_code, error_of(bad_cursor)["field"]) == (422, "cursor")


def test_a_service_rejection_keeps_its_stable_code_and_field(api):
    # when
    response = api.post("/products", {"descripcion": "Asesoría", "clave_prod_serv": "123",
                                       "clave_unidad": "E48", "unit_price": "100"})
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "clave_prod_serv_invalid"
    assert error["field"] == "clave_prod_serv"
    assert "8 dígitos" in error["message"]


def test_an_unknown_route_is_a_json_404(api):
    # when
    response = api.get("/facturas-inexistentes")
    # then
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_id_is_a_json_404_in_spanish(api):
    # when
    response = api.get("/invoices/999999")
    # then
    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "No se encontró el comprobante."}


def test_a_wrong_method_is_a_json_405_listing_the_allowed_ones(api):
    # when
    response = api.request("DELETE", "/customers")
    # then
    assert response.status_code == 405
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert "DELETE" in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_an_unexpected_failure_is_a_500_without_internals(api, monkeypatch):
    # given: a bug deep inside a service
    def broken(*args, **kwargs):
        raise RuntimeError("detalle interno /srv/secreto.py línea 42")

    monkeypatch.setattr("timbra.api.routers.customers.create_customer", broken)
    # when
    response = api.post("/customers", {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN",
                                       "regimen_fiscal": "601", "codigo_postal": "42501"})
    # then
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "internal_error"
    assert b"secreto" not in response.content and b"Traceback" not in response.content


def test_a_500_on_a_read_is_json_too(api, monkeypatch):
    # given
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("timbra.api.routers.invoices.invoices_for", broken)
    # when
    response = api.get("/invoices")
    # then
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal_error"
