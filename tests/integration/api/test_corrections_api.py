"""The API of issue 11: cancel at the SAT, credit notes by hand, corregir y sustituir, edit held invoices,
SAT status, and the sandbox's simulated receptor."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core import mail

from tests.factories import MX, make_invoice
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.domain.status import InvoiceStatus
from timbra.domain.taxpayer import Problem
from timbra.invoicing.models import Invoice
from timbra.invoicing.seal import hold_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(org, customer, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice.refresh_from_db()
    mail.outbox.clear()
    return invoice


def _post(api, callbacks, path, body, key=None):
    with callbacks(execute=True):
        return api.post(path, body, key=key)


def test_cancel_answers_202_and_the_invoice_shows_the_cancellation(api, issued, django_capture_on_commit_callbacks):
    response = _post(api, django_capture_on_commit_callbacks, f"/invoices/{issued.pk}/cancel", {"motivo": "02"},
                     key="c1")
    assert response.status_code == 202
    assert response.json()["cancellation"]["motivo"] == "02"
    body = api.get(f"/invoices/{issued.pk}").json()
    assert (body["status"], body["status_label"]) == ("cancelled", "Cancelada")
    assert body["cancellation"]["status"] == "cancelled" and body["cancellation"]["needs_acceptance"] is False
    assert body["sat_status"]["estado"] == "Cancelado"
    # the same request again (same key, or a new one) changes nothing and emails nobody again
    again = _post(api, django_capture_on_commit_callbacks, f"/invoices/{issued.pk}/cancel", {"motivo": "02"},
                  key="c2")
    assert again.status_code == 202 and len(mail.outbox) == 1


def test_cancel_explains_in_spanish_what_the_sat_would_refuse(api, issued):
    response = api.post(f"/invoices/{issued.pk}/cancel", {"motivo": "01"})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "substitute_required" and "motivo 01" in error["message"]


def test_the_receptor_of_the_sandbox_can_reject_a_cancellation(
    api, issued, django_capture_on_commit_callbacks, frozen, settings
):
    settings.TIMBRA_SANDBOX_RECEPTOR = "silencio"
    frozen.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=MX))
    body = _post(api, django_capture_on_commit_callbacks, f"/invoices/{issued.pk}/cancel", {"motivo": "03"}).json()
    assert body["status"] == "cancellation_pending"
    assert body["cancellation"]["acceptance_deadline"] == "2026-11-27"
    assert api.post(f"/invoices/{issued.pk}/sandbox-receptor-answer", {"acepta": False}).status_code == 204
    status = _post(api, django_capture_on_commit_callbacks, f"/invoices/{issued.pk}/sat-status", {}).json()
    assert status["estatus_cancelacion"] == "Solicitud rechazada"
    body = api.get(f"/invoices/{issued.pk}").json()
    assert body["status"] == "delivered" and body["cancellation"]["status"] == "rejected"


def test_the_sandbox_receptor_answers_only_a_pending_request_and_only_in_test_mode(api, org, issued):
    response = api.post(f"/invoices/{issued.pk}/sandbox-receptor-answer", {"acepta": True})
    assert response.status_code == 409 and error_of(response)["code"] == "no_pending_request"
    Invoice.objects.filter(pk=issued.pk).update(livemode=True)
    live = ApiClient(make_token(org, livemode=True))
    response = live.post(f"/invoices/{issued.pk}/sandbox-receptor-answer", {"acepta": True})
    assert response.status_code == 409 and error_of(response)["code"] == "live_mode"


def test_a_credit_note_by_hand_is_created_once_per_key(api, issued, django_capture_on_commit_callbacks):
    path = f"/invoices/{issued.pk}/credit-notes"
    first = _post(api, django_capture_on_commit_callbacks, path, {"amount": "200.00", "concept": "Descuento"}, "n1")
    again = _post(api, django_capture_on_commit_callbacks, path, {"amount": "200.00", "concept": "Descuento"}, "n1")
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    note = first.json()
    assert (note["tipo_de_comprobante"], note["total"]) == ("E", "200.00")
    assert api.get(f"/invoices/{issued.pk}").json()["credited"] == "200.00"
    too_much = api.post(path, {"amount": "1000.00"}, key="n2")
    assert too_much.status_code == 422 and error_of(too_much)["code"] == "exceeds_total"


def test_substitute_issues_the_correction_and_cancels_the_original(api, issued, product,
                                                                  django_capture_on_commit_callbacks):
    body = {"customer_id": issued.customer_id, "forma_pago": "03", "lines": [{"product_id": product.pk,
                                                                             "cantidad": "2"}]}
    response = _post(api, django_capture_on_commit_callbacks, f"/invoices/{issued.pk}/substitute", body, "s1")
    assert response.status_code == 201
    substitute = Invoice.objects.get(pk=response.json()["id"])
    original = api.get(f"/invoices/{issued.pk}").json()
    assert original["status"] == "cancelled" and original["substitute_id"] == substitute.pk
    assert original["cancellation"]["folio_sustitucion"] == substitute.uuid


def test_a_held_invoice_is_corrected_with_put_and_goes_out(api, org, customer, product,
                                                          django_capture_on_commit_callbacks):
    invoice = make_invoice(org, customer, product=product)
    hold_invoice(invoice, [Problem("CFDI40147", "receptor", "Código postal.")], as_of=invoice.created_at)
    body = {"customer_id": customer.pk, "forma_pago": "01", "lines": [{"product_id": product.pk, "cantidad": "3"}]}
    with django_capture_on_commit_callbacks(execute=True):
        response = api.request("PUT", f"/invoices/{invoice.pk}", body)
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED and str(invoice.total) == "3476.52"
    stamped = api.request("PUT", f"/invoices/{invoice.pk}", body)
    assert stamped.status_code == 422 and error_of(stamped)["code"] == "not_held"


def test_the_cancellation_settings_are_read_and_changed(api, org):
    assert api.get("/cancellation-settings").json() == {"cancel_on_gateway_void": False, "cancel_on_full_refund": False}
    changed = api.request("PUT", "/cancellation-settings", {"cancel_on_gateway_void": True})
    assert changed.status_code == 200
    assert api.get("/cancellation-settings").json() == {"cancel_on_gateway_void": True, "cancel_on_full_refund": False}
