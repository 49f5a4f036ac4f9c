"""The new-invoice form calls create_invoice and shows its Spanish errors on the right field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import become_persona_fisica
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def _post(customer, *lines, **fields):
    data = {"customer": customer.pk, "metodo_pago": "PUE", "forma_pago": "03", "moneda": "MXN",
            "send_email": "on", "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "5", **fields}
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{name}": value for name, value in line.items()})
    return data


def test_form_renders_five_line_rows_with_spanish_choices(client_in, customer, product):
    page = client_in.get(reverse("dashboard:invoice_new")).content.decode()

    assert page.count("<legend>Partida") == 5
    assert "PUE – Pago en una sola exhibición" in page and "IVA 16 %" in page
    assert "UNIVERSIDAD ROBOTICA ESPAÑOLA" in page and "Suscripción mensual plataforma SaaS" in page


def test_product_line_creates_the_invoice(client_in, customer, product):
    response = client_in.post(reverse("dashboard:invoice_new"),
                              _post(customer, {"product": product.pk, "cantidad": "2"}))

    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:invoice_detail", args=[invoice.pk])
    assert invoice.lines.get().cantidad == 2 and invoice.subtotal == 1998
    assert invoice.events.get(kind="created").actor == "Ana López"


def test_free_form_line_with_taxes(client_in, org, customer):
    become_persona_fisica(org)  # ISR is withheld from a persona física's fees (LISR art. 106)
    line = {"descripcion": "Consultoría", "clave_prod_serv": "80101500", "clave_unidad": "e48",
            "cantidad": "1", "unit_price": "1000", "taxes": ["IVA16", "RET_ISR_10"]}

    client_in.post(reverse("dashboard:invoice_new"), _post(customer, line))

    invoice = Invoice.objects.get()
    assert invoice.lines.get().taxes == ["IVA16", "RET_ISR_10"]
    assert invoice.lines.get().clave_unidad == "E48"
    assert invoice.total == 1060  # 1000 + 160 IVA − 100 ISR


def test_missing_line_field_is_shown_on_that_line(client_in, customer, product):
    lines = ({"product": product.pk}, {}, {"descripcion": "Sin claves", "unit_price": "10", "taxes": ["IVA16"]})

    response = client_in.post(reverse("dashboard:invoice_new"), _post(customer, *lines))

    page = response.content.decode()
    assert response.status_code == 200 and not Invoice.objects.exists()
    third = page.split("<legend>Partida 3</legend>", 1)[1].split("<legend>Partida 4</legend>", 1)[0]
    assert "Falta «clave_prod_serv» en la partida 3." in third


def test_pue_without_forma_de_pago_is_explained(client_in, customer, product):
    response = client_in.post(reverse("dashboard:invoice_new"),
                              _post(customer, {"product": product.pk}, forma_pago="99"))

    assert "Con PUE (pago en una sola exhibición) indica la forma de pago" in response.content.decode()
    assert not Invoice.objects.exists()
