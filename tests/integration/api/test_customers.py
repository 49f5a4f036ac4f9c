"""/customers: create, list (search, pages), get, update."""

from __future__ import annotations

import pytest

from tests.factories import make_customer
from tests.integration.api.conftest import error_of
from timbra.customers.models import Customer

pytestmark = pytest.mark.django_db

EDGAR = {"rfc": "ewe1709045u0", "nombre": "Edgar Waldo Erdmann", "regimen_fiscal": "601",
         "codigo_postal": "42501", "uso_cfdi": "G03", "emails": ["edgar@example.com"], "external_id": "cus_123"}


def test_creating_a_customer_validates_and_normalizes_its_fiscal_data(api, org):
    # when
    response = api.post("/customers", EDGAR)
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["rfc"] == "EWE1709045U0"
    assert body["nombre"] == "EDGAR WALDO ERDMANN"
    assert body["livemode"] is False
    assert body["emails"] == ["edgar@example.com"]
    assert Customer.objects.get(pk=body["id"]).org_id == org.pk


def test_a_customer_with_inconsistent_fiscal_data_is_rejected_with_a_code(api):
    # when: 605 (sueldos y salarios) is a persona física régimen; this RFC is a persona moral
    response = api.post("/customers", {**EDGAR, "regimen_fiscal": "605"})
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("CFDI40158", "regimen_fiscal")
    assert "persona moral" in error["message"]


def test_listing_customers_is_newest_first_with_cursor_pages(api, org, frozen):
    # given: three customers created a minute apart
    from datetime import timedelta

    from tests.factories import NOW

    ids = []
    for i, rfc in enumerate(["URE180429TM6", "EWE1709045U0", "H&E951128469"]):
        ids.append(make_customer(org, rfc=rfc, as_of=NOW + timedelta(minutes=i)).pk)
    # when
    first = api.get("/customers", {"limit": 2}).json()
    second = api.get("/customers", {"limit": 2, "cursor": first["next_cursor"]}).json()
    # then
    assert [c["id"] for c in first["data"]] == [ids[2], ids[1]]
    assert first["has_more"] is True
    assert [c["id"] for c in second["data"]] == [ids[0]]
    assert second["has_more"] is False and second["next_cursor"] is None


def test_searching_customers_matches_rfc_or_name(api, org):
    # given
    make_customer(org, rfc="URE180429TM6")
    edgar = make_customer(org, rfc="EWE1709045U0")
    # when
    by_name = api.get("/customers", {"q": "waldo"}).json()["data"]
    by_rfc = api.get("/customers", {"q": "ewe17"}).json()["data"]
    # then
    assert [c["id"] for c in by_name] == [edgar.pk]
    assert [c["id"] for c in by_rfc] == [edgar.pk]


def test_getting_and_updating_a_customer(api, customer):
    # when
    fetched = api.get(f"/customers/{customer.pk}")
    updated = api.patch(f"/customers/{customer.pk}", {"emails": ["pagos@robotica.example"], "uso_cfdi": "G01"})
    # then
    assert fetched.status_code == 200
    assert fetched.json()["rfc"] == "URE180429TM6"
    assert updated.status_code == 200
    assert updated.json()["emails"] == ["pagos@robotica.example"]
    assert updated.json()["uso_cfdi"] == "G01"
    customer.refresh_from_db()
    assert customer.uso_cfdi == "G01"


def test_an_update_that_breaks_the_fiscal_data_is_rejected_and_nothing_changes(api, customer):
    # when
    response = api.patch(f"/customers/{customer.pk}", {"regimen_fiscal": "999"})
    # then
    assert response.status_code == 422
    assert error_of(response)["field"] == "regimen_fiscal"
    customer.refresh_from_db()
    assert customer.regimen_fiscal == "601"
