"""c_ClaveProdServ and c_ClaveUnidad are checked against the full SAT catalogs wherever a code is saved
(issue 11): products, invoicing rules and invoice lines. 99999999 is well formed and is no clave at all."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import error_of
from timbra.catalog.models import Product
from timbra.invoicing.models import Invoice
from timbra.payments.rules.models import InvoicingRule

pytestmark = pytest.mark.django_db

PRODUCT = {"descripcion": "Asesoría", "clave_unidad": "E48", "unit_price": "100.00", "taxes": ["IVA16"]}


def test_a_product_with_a_clave_the_sat_never_issued_is_refused(api):
    response = api.post("/products", {**PRODUCT, "clave_prod_serv": "99999999"})
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("clave_prod_serv_unknown", "clave_prod_serv")
    assert "c_ClaveProdServ" in error["message"]
    assert not Product.objects.exists()
    assert api.post("/products", {**PRODUCT, "clave_prod_serv": "80111600"}).status_code == 201


def test_an_invoicing_rule_with_an_unknown_clave_is_refused(api):
    response = api.post("/invoicing-rules", {"name": "Mala", "decision": {"clave_prod_serv": "99999999"}})
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("clave_prod_serv_unknown",
                                                                         "decision.clave_prod_serv")
    assert not InvoicingRule.objects.exists()


@pytest.mark.parametrize(("line", "code", "field"), [
    ({"clave_prod_serv": "99999999", "clave_unidad": "E48"}, "clave_prod_serv_unknown", "lines[0].clave_prod_serv"),
    ({"clave_prod_serv": "81112101", "clave_unidad": "ZZZ"}, "clave_unidad_invalid", "lines[0].clave_unidad"),
])
def test_an_invoice_line_with_an_unknown_clave_is_refused_before_the_pac(api, customer, line, code, field):
    body = {"customer_id": customer.pk, "forma_pago": "04",
            "lines": [{"descripcion": "Servicio", "unit_price": "100.00", "taxes": ["IVA16"], **line}]}
    response = api.post("/invoices", body)
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)
    assert not Invoice.objects.exists()
