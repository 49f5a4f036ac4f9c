"""Customers: list and search, create, edit with the services' Spanish validation errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import make_customer, make_invoice
from tests.integration.dashboard.conftest import hold
from timbra.customers.models import Customer

pytestmark = pytest.mark.django_db

VALID = {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "regimen_fiscal": "601",
         "codigo_postal": "42501", "uso_cfdi": "G03", "emails": "edgar@example.com, pagos@example.com"}


def field_block(page: str, name: str) -> str:
    """The HTML of one form field's block (label, input, errors)."""
    start = page.index(f'name="{name}"')
    opening = page.rindex('<div class="field', 0, start)
    closing = page.find('<div class="field', start)
    return page[opening:closing if closing != -1 else None]


def test_list_and_search(client_in, org, customer):
    make_customer(org, rfc="EWE1709045U0")

    everyone = client_in.get(reverse("dashboard:customer_list")).content.decode()
    found = client_in.get(reverse("dashboard:customer_list"), {"q": "edgar"}).content.decode()

    assert "UNIVERSIDAD ROBOTICA ESPAÑOLA" in everyone and "EDGAR WALDO ERDMANN" in everyone
    assert "EDGAR WALDO ERDMANN" in found and "UNIVERSIDAD ROBOTICA" not in found


def test_create_customer_in_the_current_mode(client_in, org):
    response = client_in.post(reverse("dashboard:customer_new"), VALID)

    customer = Customer.objects.get(org=org)
    assert response.status_code == 302
    assert customer.livemode is False and customer.emails == ["edgar@example.com", "pagos@example.com"]


def test_edit_shows_the_spanish_rfc_error_next_to_the_field(client_in, customer):
    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]), {**VALID, "rfc": "NO-ES-RFC"})

    block = field_block(response.content.decode(), "rfc")
    assert response.status_code == 200
    assert "has-error" in block and "El RFC no tiene un formato válido" in block
    customer.refresh_from_db()
    assert customer.rfc == "URE180429TM6"


def test_edit_shows_uso_cfdi_incompatible_with_the_regimen(client_in, customer):
    # D01 (honorarios médicos) is only for personas físicas; 601 is a persona moral régimen.
    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]),
                              {**VALID, "rfc": customer.rfc, "nombre": customer.nombre, "uso_cfdi": "D01"})

    block = field_block(response.content.decode(), "uso_cfdi")
    assert response.status_code == 200
    assert "El uso D01 no aplica a una persona moral." in block


def test_invalid_email_is_shown_on_the_emails_field(client_in, customer):
    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]),
                              {**VALID, "emails": "no-es-correo"})

    assert "El correo «no-es-correo» no es válido." in field_block(response.content.decode(), "emails")


def test_edit_saves_and_returns_to_the_held_invoice(client_in, org, customer):
    invoice = hold(make_invoice(org, customer))
    back = reverse("dashboard:invoice_detail", args=[invoice.pk])
    page = client_in.get(reverse("dashboard:customer_edit", args=[customer.pk]), {"next": back}).content.decode()
    assert "1 factura detenida" in page

    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]),
                              {**VALID, "rfc": customer.rfc, "nombre": customer.nombre, "next": back})

    assert response["Location"] == back
    customer.refresh_from_db()
    assert customer.codigo_postal == "42501"


def test_edit_ignores_an_off_site_next(client_in, customer):
    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]),
                              {**VALID, "rfc": customer.rfc, "nombre": customer.nombre,
                               "next": "https://evil.example/"})

    assert response["Location"] == reverse("dashboard:customer_edit", args=[customer.pk])
