"""/invoices: asynchronous creation, the invoice as a client sees it, actions, XML and PDF."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from tests.factories import NOW, make_customer, make_invoice
from tests.integration.api.conftest import error_of
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.transitions import move

pytestmark = pytest.mark.django_db


def body_for(customer, product, **extra):
    return {"customer_id": customer.pk, "forma_pago": "04", "lines": [{"product_id": product.pk}], **extra}


def floats_in(value) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats_in(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats_in(v)]
    return []


def hold(invoice: Invoice) -> Invoice:
    message = "El régimen fiscal del receptor no coincide con su RFC."
    return move(invoice, InvoiceStatus.HELD, as_of=NOW, kind="held", message=message,
                hold_code="CFDI40158", hold_message=message)


def test_creating_an_invoice_answers_202_with_the_draft_and_money_as_strings(api, customer, product):
    # when
    response = api.post("/invoices", body_for(customer, product, serie="f"))
    # then
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["status_label"]) == ("draft", "Borrador")
    assert (body["serie"], body["folio"], body["serie_folio"]) == ("F", "1", "F-1")
    assert body["uuid"] is None and body["hold"] is None
    assert body["subtotal"] == "999.00"
    assert body["total_impuestos_trasladados"] == "159.84"
    assert body["total"] == "1158.84"
    assert body["lines"][0]["valor_unitario"] == "999.00" and body["lines"][0]["cantidad"] == "1"
    assert body["customer"] == {"id": customer.pk, "rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA"}
    assert [e["kind"] for e in body["events"]] == ["created"]
    assert floats_in(body) == []


def test_the_creation_answer_is_exactly_what_reading_the_invoice_back_shows(api, customer, product):
    # given a request with decimals in every form the API accepts
    response = api.post("/invoices", {
        "customer_id": customer.pk, "metodo_pago": "PUE", "forma_pago": "03", "moneda": "usd",
        "tipo_cambio": "17.25", "lines": [
            {"product_id": product.pk, "cantidad": "2.5", "descuento": "10"},
            {"descripcion": "Soporte", "clave_prod_serv": "81112101", "clave_unidad": "E48", "cantidad": 3,
             "unit_price": "33.333333", "taxes": ["IVA16", "RET_IVA_4"]},
        ],
    })
    assert response.status_code == 202, response.content
    # then the 202 body (answered from memory, no read-back) equals a later GET, field for field
    assert api.get(f"/invoices/{response.json()['id']}").json() == response.json()


@pytest.mark.parametrize("price", ["1158.84", 1158.84])
def test_explicit_lines_with_tax_included_prices_are_exact(api, customer, price):
    # when
    response = api.post("/invoices", {
        "customer_id": customer.pk, "metodo_pago": "PUE", "forma_pago": "03",
        "lines": [{"descripcion": "Consultoría", "clave_prod_serv": "80101500", "clave_unidad": "E48",
                   "cantidad": 1, "unit_price": price, "price_includes_taxes": True, "taxes": ["IVA16"]}],
    })
    # then
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["lines"][0]["valor_unitario"] == "999.00"
    assert body["total"] == "1158.84"
    assert Invoice.objects.get(pk=body["id"]).total == Decimal("1158.84")


def test_a_business_rule_violation_is_a_422_with_its_code_and_field(api, customer, product):
    # when: PUE without a forma de pago
    response = api.post("/invoices", body_for(customer, product, forma_pago=None))
    # then
    assert response.status_code == 422
    error = error_of(response)
    assert (error["code"], error["field"]) == ("forma_pago_required", "forma_pago")
    assert not Invoice.objects.exists()


def test_an_unknown_customer_or_product_is_a_404(api, customer, product):
    # when
    no_customer = api.post("/invoices", {**body_for(customer, product), "customer_id": 999999})
    no_product = api.post("/invoices", {**body_for(customer, product), "lines": [{"product_id": 999999}]})
    # then
    assert no_customer.status_code == 404 and error_of(no_customer)["message"] == "No se encontró el cliente."
    assert no_product.status_code == 404
    assert not Invoice.objects.exists()


def test_the_invoice_is_stamped_asynchronously_and_then_shows_uuid_deliveries_and_timeline(
    api, customer, product, django_capture_on_commit_callbacks
):
    # given: the pipeline runs when the request's transaction commits (queue in immediate mode)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/invoices", body_for(customer, product))
    # when
    body = api.get(f"/invoices/{created.json()['id']}").json()
    # then
    assert (body["status"], body["status_label"]) == ("delivered", "Entregada")
    assert len(body["uuid"]) == 36
    assert body["fecha"].startswith("2026-11-20T10:00")
    assert body["receptor"]["rfc"] == "URE180429TM6"
    assert body["deliveries"] == [{"channel": "email", "status": "sent", "recipients": ["cliente@example.com"],
                                   "attempts": 1, "sent_at": body["deliveries"][0]["sent_at"], "last_error": ""}]
    assert [e["kind"] for e in body["events"]] == ["created", "sealed", "stamped", "email_sent", "delivered"]


def test_xml_and_pdf_of_a_stamped_invoice(api, customer, product, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        invoice_id = api.post("/invoices", body_for(customer, product)).json()["id"]
    invoice = Invoice.objects.get(pk=invoice_id)
    doc = InvoiceDocument.objects.get(invoice=invoice)
    # when
    stamped = api.get(f"/invoices/{invoice_id}/xml")
    sealed = api.get(f"/invoices/{invoice_id}/xml", {"sealed": 1})
    pdf = api.get(f"/invoices/{invoice_id}/pdf")
    # then
    assert stamped.status_code == 200
    assert stamped["Content-Type"].startswith("application/xml")
    assert stamped.content == bytes(doc.stamped_xml)
    assert f"EKU9003173C9_A1_{invoice.uuid}.xml" in stamped["Content-Disposition"]
    assert sealed.content == bytes(doc.sealed_xml) and b"TimbreFiscalDigital" not in sealed.content
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_xml_and_pdf_of_an_unstamped_invoice_are_409_not_stamped(api, org, customer, product):
    # given: the job has not run yet
    invoice = make_invoice(org, customer, product=product)
    # when
    responses = [api.get(f"/invoices/{invoice.pk}/xml"), api.get(f"/invoices/{invoice.pk}/pdf")]
    sealed = api.get(f"/invoices/{invoice.pk}/xml", {"sealed": "1"})
    # then
    for response in responses:
        assert response.status_code == 409
        assert error_of(response)["code"] == "not_stamped"
    assert (sealed.status_code, error_of(sealed)["code"]) == (409, "not_sealed")


def test_a_held_invoice_shows_why_and_retrying_sends_it_back_to_draft(api, org, customer, product):
    # given
    invoice = hold(make_invoice(org, customer, product=product))
    # when
    shown = api.get(f"/invoices/{invoice.pk}").json()
    retried = api.post(f"/invoices/{invoice.pk}/retry")
    # then
    assert shown["status_label"] == "Detenida"
    assert shown["hold"] == {"code": "CFDI40158", "message": "El régimen fiscal del receptor no coincide con su RFC."}
    assert retried.status_code == 200
    assert retried.json()["status"] == "draft" and retried.json()["hold"] is None
    assert retried.json()["events"][-1]["kind"] == "retry"
    assert retried.json()["events"][-1]["actor"].startswith("API (sk_test_")


def test_retrying_an_invoice_that_is_not_held_is_refused(api, org, customer, product):
    # given
    invoice = make_invoice(org, customer, product=product)
    # when
    response = api.post(f"/invoices/{invoice.pk}/retry")
    # then
    assert response.status_code == 422
    assert error_of(response)["code"] == "not_held"


def test_discarding_a_draft_cancels_it_and_a_second_discard_is_refused(api, org, customer, product):
    # given
    invoice = make_invoice(org, customer, product=product)
    # when
    first = api.post(f"/invoices/{invoice.pk}/discard")
    second = api.post(f"/invoices/{invoice.pk}/discard")
    # then
    assert first.status_code == 200
    assert (first.json()["status"], first.json()["status_label"]) == ("cancelled", "Cancelada")
    assert second.status_code == 422 and error_of(second)["code"] == "not_discardable"


def test_listing_invoices_filters_by_status_customer_and_creation_date(api, org, customer, product):
    # given: one invoice a day for three days, the last for another customer and held
    other = make_customer(org, rfc="EWE1709045U0")
    ids = []
    for day, who in enumerate([customer, customer, other]):
        with time_machine.travel(NOW + timedelta(days=day), tick=False):
            ids.append(make_invoice(org, who, product=product, as_of=NOW + timedelta(days=day)).pk)
    hold(Invoice.objects.get(pk=ids[2]))

    def listed(**params):
        return [i["id"] for i in api.get("/invoices", params).json()["data"]]

    # then
    assert listed() == [ids[2], ids[1], ids[0]]
    assert listed(status="held") == [ids[2]]
    assert listed(customer_id=customer.pk) == [ids[1], ids[0]]
    assert listed(created_from="2026-11-21") == [ids[2], ids[1]]
    assert listed(created_to="2026-11-21") == [ids[1], ids[0]]
    assert listed(created_from="2026-11-21T00:00:00", created_to="2026-11-21T23:59:59") == [ids[1]]
    assert listed(limit=1)[0] == ids[2]
    summary = api.get("/invoices").json()["data"][0]
    assert summary["total"] == "1158.84" and "lines" not in summary
