"""Products: list, create, edit through catalog.services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from timbra.catalog.models import Product

pytestmark = pytest.mark.django_db

VALID = {"descripcion": "Plan anual", "clave_prod_serv": "81112101", "clave_unidad": "e48", "unidad": "Servicio",
         "sku": "PLAN-A", "unit_price": "11988.00", "objeto_imp": "02", "taxes": ["IVA16"]}


def test_list_shows_price_and_tax_labels(client_in, product):
    page = client_in.get(reverse("dashboard:product_list")).content.decode()

    assert "Suscripción mensual plataforma SaaS" in page and "$999.00" in page and "IVA 16 %" in page


def test_create_product(client_in, org):
    response = client_in.post(reverse("dashboard:product_new"), VALID)

    product = Product.objects.get(org=org)
    assert response.status_code == 302
    assert product.clave_unidad == "E48" and product.unit_price == Decimal(11988) and product.taxes == ["IVA16"]


def test_create_shows_the_spanish_error_on_the_field(client_in, org):
    response = client_in.post(reverse("dashboard:product_new"), {**VALID, "clave_prod_serv": "123"})

    page = response.content.decode()
    assert "La clave de producto o servicio debe tener 8 dígitos." in page
    assert not Product.objects.exists()


def test_edit_product(client_in, product):
    response = client_in.post(reverse("dashboard:product_edit", args=[product.pk]),
                              {**VALID, "unit_price": "1099.50", "taxes": ["IVA16", "RET_ISR_10"]})

    product.refresh_from_db()
    assert response.status_code == 302
    assert product.unit_price == Decimal("1099.50") and product.taxes == ["IVA16", "RET_ISR_10"]


def test_objeto_02_without_taxes_is_explained(client_in, product):
    data = {k: v for k, v in VALID.items() if k != "taxes"}

    response = client_in.post(reverse("dashboard:product_edit", args=[product.pk]), data)

    assert "Con objeto de impuesto 02 indica al menos un impuesto." in response.content.decode()
