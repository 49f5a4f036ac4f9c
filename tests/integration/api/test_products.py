"""/products: prices in and out as exact decimal strings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.api.conftest import error_of
from timbra.catalog.models import Product

pytestmark = pytest.mark.django_db

HOSTING = {"descripcion": "Hospedaje web mensual", "clave_prod_serv": "81112101", "clave_unidad": "E48",
           "unidad": "Servicio", "sku": "HOST-1", "taxes": ["IVA16"]}


@pytest.mark.parametrize("price", ["1158.84", 1158.84, "1158.840000"])
def test_a_price_sent_as_string_or_number_is_stored_exactly(api, price):
    # when
    response = api.post("/products", {**HOSTING, "unit_price": price, "price_includes_taxes": True})
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["unit_price"] == "1158.84"
    assert isinstance(body["unit_price"], str)
    assert Product.objects.get(pk=body["id"]).unit_price == Decimal("1158.84")


def test_a_six_decimal_price_keeps_its_decimals(api):
    # when
    response = api.post("/products", {**HOSTING, "unit_price": "0.123456"})
    # then
    assert response.json()["unit_price"] == "0.123456"


def test_listing_getting_searching_and_updating_products(api, product):
    # when
    listed = api.get("/products").json()
    searched = api.get("/products", {"q": "saas"}).json()
    missing = api.get("/products", {"q": "no existe"}).json()
    fetched = api.get(f"/products/{product.pk}")
    updated = api.patch(f"/products/{product.pk}", {"unit_price": "1099.5", "taxes": ["IVA16", "RET_ISR_10"]})
    # then
    assert [p["id"] for p in listed["data"]] == [product.pk]
    assert [p["id"] for p in searched["data"]] == [product.pk]
    assert missing["data"] == []
    assert fetched.json()["unit_price"] == "999.00"
    assert updated.status_code == 200
    assert updated.json()["unit_price"] == "1099.50"
    assert updated.json()["taxes"] == ["IVA16", "RET_ISR_10"]


def test_an_unknown_tax_preset_is_rejected_in_spanish(api, product):
    # when
    response = api.patch(f"/products/{product.pk}", {"taxes": ["IVA99"]})
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("tax_invalid", "taxes")
    assert "Impuesto desconocido" in error["message"]
