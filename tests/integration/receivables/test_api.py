"""/payments over HTTP: record (201/200), follow the REP, list, and what is due."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import make_customer, make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from tests.integration.receivables.conftest import D
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import IdempotencyRecord
from timbra.receivables.models import ReceivedPayment

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org) -> ApiClient:
    return ApiClient(make_token(org))


@pytest.fixture
def post(api, django_capture_on_commit_callbacks):
    """POST /payments, then run what it queued on commit (the REP pipeline), as a worker would."""

    def send(payload, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post("/payments", payload, **kw)

    return send


def body(customer, invoice=None, amount="400.00", **extra):
    data = {"customer_id": customer.pk, "fecha_pago": "2026-11-19T16:30:00", "forma_de_pago": "03",
            "monto": amount, **extra}
    if invoice is not None:
        data["applications"] = [{"invoice_id": invoice.pk, "amount": amount}]
    return data


def test_recording_a_payment_answers_201_with_its_parcialidad_and_the_stamped_rep(api, customer, stamped,
                                                                                   post):
    # given a stamped PPD invoice
    invoice = stamped()
    # when a payment is posted for part of it
    response = post(body(customer, invoice, reference="SPEI 123"), key="pago-1")
    # then it is created, money as strings, and its REP went through the pipeline
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["status"], created["status_label"], created["monto"], created["moneda"]) == (
        "recorded", "Registrado", "400.00", "MXN"
    )
    assert (created["forma_de_pago"], created["reference"], created["rep_deadline"]) == ("03", "SPEI 123",
                                                                                         "2026-12-05")
    assert created["fecha_pago"] == "2026-11-19T22:30:00Z"  # 16:30 in Mexico City, shown in UTC
    (application,) = created["applications"]
    assert application == {
        "invoice_id": invoice.pk, "invoice_uuid": invoice.uuid, "invoice_serie_folio": invoice.serie_folio,
        "moneda": "MXN", "num_parcialidad": 1, "imp_saldo_ant": "1158.84", "imp_pagado": "400.00",
        "imp_saldo_insoluto": "758.84", "equivalencia_dr": None, "counts": True,
    }
    shown = api.get(f"/payments/{created['id']}").json()
    assert (shown["rep"]["status"], shown["rep"]["serie_folio"]) == ("delivered", "P-1")
    assert shown["rep"]["uuid"] and shown["rep"]["hold"] is None
    # and the invoice shows its balance
    detail = api.get(f"/invoices/{invoice.pk}").json()
    assert (detail["payment_status"], detail["open_balance"]) == ("parcial", "758.84")
    rep = api.get(f"/invoices/{shown['rep']['invoice_id']}").json()
    assert (rep["tipo_de_comprobante"], rep["payment_status"], rep["open_balance"]) == ("P", None, None)


def test_the_same_external_id_or_idempotency_key_never_records_twice(api, customer, stamped, post):
    invoice = stamped()
    first = post(body(customer, invoice, external_id="banco-778"))
    again = post(body(customer, invoice, external_id="banco-778"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    long_key = "k" * 255  # the longest Idempotency-Key still fits the payment's business key
    replay = post(body(customer, invoice, amount="10.00"), key=long_key)
    replayed = post(body(customer, invoice, amount="10.00"), key=long_key)
    assert replayed["Idempotent-Replayed"] == "true" and replayed.json()["id"] == replay.json()["id"]
    # and a retry after a crash that lost the stored response still finds the payment by its key
    IdempotencyRecord.objects.all().delete()
    retried = post(body(customer, invoice, amount="10.00"), key=long_key)
    assert (retried.status_code, retried.json()["id"]) == (200, replay.json()["id"])
    assert ReceivedPayment.objects.count() == 2


def test_without_applications_the_oldest_open_invoices_are_paid(api, customer, stamped, post):
    older, newer = stamped(), stamped()
    response = post(body(customer, amount="1200.00"))
    assert response.status_code == 201
    assert [(a["invoice_id"], a["imp_pagado"]) for a in response.json()["applications"]] == [
        (older.pk, "1158.84"), (newer.pk, "41.16")
    ]


def test_refusals_are_json_errors_in_spanish(api, org, customer, stamped, post):
    pue = stamped(metodo_pago="PUE")
    ppd = stamped()
    cases = [
        (body(customer, pue, amount="1158.84"), 422, "invoice_is_pue"),
        (body(customer, ppd, amount="1158.85"), 422, "overpayment"),
        (body(customer, ppd, forma_de_pago="99"), 422, "forma_de_pago_invalid"),
        ({**body(customer, ppd), "applications": [{"invoice_id": 999999, "amount": "1.00"}]}, 404, "not_found"),
        (body(make_customer(make_org()), ppd), 404, "not_found"),
        ({**body(customer, ppd), "org_id": 1}, 422, "validation_error"),
    ]
    for payload, status, code in cases:
        response = post(payload)
        assert response.status_code == status, (payload, response.content)
        assert error_of(response)["code"] == code
    assert "PUE" in error_of(post(cases[0][0]))["message"]
    assert not ReceivedPayment.objects.exists()


def test_a_read_only_key_cannot_record_payments(org, customer, stamped):
    invoice = stamped()
    response = ApiClient(make_token(org, scopes="read")).post("/payments", body(customer, invoice))
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


def test_a_bare_date_is_recorded_at_noon_in_the_orgs_zone(api, customer, stamped, post):
    invoice = stamped()
    response = post(body(customer, invoice, fecha_pago="2026-11-18"))
    assert response.json()["fecha_pago"] == "2026-11-18T18:00:00Z"  # 12:00 in Mexico City


def test_payments_are_listed_newest_first_with_cursor_pages_and_filters(api, customer, stamped, post):
    first, second = stamped(), stamped()
    ids = [post(body(customer, inv, amount="100.00")).json()["id"]
           for inv in (first, second, first)]
    page = api.get("/payments", {"limit": 2}).json()
    assert [p["id"] for p in page["data"]] == [ids[2], ids[1]] and page["has_more"]
    rest = api.get("/payments", {"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [p["id"] for p in rest["data"]] == [ids[0]] and not rest["has_more"]
    assert [p["id"] for p in api.get("/payments", {"invoice_id": first.pk}).json()["data"]] == [ids[2], ids[0]]
    assert api.get("/payments", {"customer_id": customer.pk}).json()["data"][0]["rep"]["status"] == "delivered"


def test_due_reps_lists_what_is_not_stamped_yet_with_its_deadline(api, customer, stamped, post):
    # given one payment whose REP is held (the customer's name no longer matches the SAT's registry)
    invoice = stamped()
    customer.nombre = "UNIVERSIDAD ROBOTICA"
    customer.save(update_fields=["nombre"])
    held = api.get(f"/payments/{post(body(customer, invoice)).json()['id']}").json()
    assert held["rep"]["status"] == InvoiceStatus.HELD and held["rep"]["hold"]["message"]
    # when the due list is read
    due = api.get("/payments/due-reps").json()
    # then it names the payment, its held REP and the deadline
    assert due["deadline_day"] == 5
    (row,) = due["data"]
    assert (row["id"], row["monto"], row["deadline"], row["days_left"], row["overdue"]) == (
        held["id"], "400.00", str(date(2026, 12, 5)), 15, False
    )
    assert row["rep"]["status"] == "held" and row["customer"]["rfc"] == "URE180429TM6"
    assert D(row["monto"]) == D("400")
