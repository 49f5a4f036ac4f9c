"""/invoicing-rules: CRUD and order, SAT-checked decisions with stable codes, idempotent writes,
the preview that creates nothing, and another org's rules and events are 404."""

from __future__ import annotations

import pytest

from tests.factories import NOW, make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from tests.integration.payments.conftest import Deliverer
from tests.unit.payments.stripe_events import SECRET, event
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules.models import InvoicingRule
from timbra.payments.services.connections import connect_stripe

pytestmark = pytest.mark.django_db

COURSES = {
    "name": "Cursos",
    "conditions": {"description_contains": "robótica", "currencies": ["MXN"], "amount_min": "100.00"},
    "decision": {"clave_prod_serv": "86121700", "taxes": ["IVA16", "RET_IVA_4"], "serie": "CUR",
                 "uso_cfdi": "D10", "send_email": False, "description_template": "{descripcion} — {periodo}"},
}


@pytest.fixture
def charge_event(org, django_capture_on_commit_callbacks) -> WebhookEvent:
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    Deliverer(django_capture_on_commit_callbacks)(connection, event("charge_succeeded_oneoff"))
    return WebhookEvent.objects.get()


def test_create_list_get_replace_and_delete_a_rule(api):
    created = api.post("/invoicing-rules", COURSES, key="r-1")
    assert created.status_code == 201
    body = created.json()
    assert body["position"] == 1 and body["conditions"]["amount_min"] == "100.00"
    assert body["decision"]["taxes"] == ["IVA16", "RET_IVA_4"]
    rule_id = body["id"]
    assert [r["id"] for r in api.get("/invoicing-rules").json()["data"]] == [rule_id]
    assert api.get(f"/invoicing-rules/{rule_id}").json()["name"] == "Cursos"
    replaced = api.request("PUT", f"/invoicing-rules/{rule_id}", {"name": "Todo", "decision": {"serie": "B"}},
                           headers={"Idempotency-Key": "r-2"})
    assert replaced.status_code == 200
    assert replaced.json()["conditions"]["currencies"] == [] and replaced.json()["decision"]["serie"] == "B"
    assert api.delete(f"/invoicing-rules/{rule_id}").status_code == 204
    assert InvoicingRule.objects.count() == 0


def test_a_retried_create_with_the_same_key_makes_one_rule(api):
    first = api.post("/invoicing-rules", COURSES, key="same")
    again = api.post("/invoicing-rules", COURSES, key="same")
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert InvoicingRule.objects.count() == 1


def test_rules_are_reordered_and_a_new_rule_can_go_first(api):
    a = api.post("/invoicing-rules", {"name": "A"}).json()["id"]
    b = api.post("/invoicing-rules", {"name": "B"}).json()["id"]
    c = api.post("/invoicing-rules", {"name": "C", "position": 1}).json()["id"]
    assert [r["id"] for r in api.get("/invoicing-rules").json()["data"]] == [c, a, b]
    reordered = api.post("/invoicing-rules/reorder", {"ids": [b, a, c]})
    assert [(r["id"], r["position"]) for r in reordered.json()["data"]] == [(b, 1), (a, 2), (c, 3)]
    bad = api.post("/invoicing-rules/reorder", {"ids": [b, a]})
    assert bad.status_code == 422 and error_of(bad)["code"] == "rule_order_invalid"


@pytest.mark.parametrize(("decision", "code", "field"), [
    ({"clave_unidad": "XXX"}, "clave_unidad_invalid", "decision.clave_unidad"),
    ({"uso_cfdi": "Z01"}, "uso_cfdi_invalid", "decision.uso_cfdi"),
    ({"taxes": ["IVA16", "IVA0"]}, "tax_invalid", "decision.taxes"),
    ({"description_template": "{descripcion.__class__}"}, "template_placeholder_unknown",
     "decision.description_template"),
])
def test_a_rule_against_the_sat_catalogs_is_refused_with_a_stable_code(api, decision, code, field):
    response = api.post("/invoicing-rules", {"name": "Mala", "decision": decision})
    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == (code, field)
    assert InvoicingRule.objects.count() == 0


def test_an_unknown_field_is_refused(api):
    response = api.post("/invoicing-rules", {"name": "X", "org_id": 1})
    assert response.status_code == 422 and error_of(response)["code"] == "validation_error"


def test_preview_of_a_draft_rule_shows_the_invoice_and_creates_nothing(api, charge_event):
    before = (Invoice.objects.count(), Payment.objects.count(), InvoicingRule.objects.count())
    response = api.post("/invoicing-rules/preview", {"rule": COURSES, "event_id": charge_event.pk}, key="p-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["would_invoice"] is True and body["rule"] == {"id": None, "name": "Cursos"}
    invoice = body["invoice"]
    assert (invoice["serie"], invoice["uso_cfdi"], invoice["send_email"]) == ("CUR", "D10", False)
    assert invoice["lines"][0]["clave_prod_serv"] == "86121700"
    assert invoice["lines"][0]["descripcion"] == "Curso de robótica (pago único) — noviembre 2026"
    assert invoice["total_impuestos_retenidos"] != "0.00" and invoice["customer_rfc"] == "URE180429TM6"
    assert body["payment"]["amount"] == "580.00" and body["payment"]["forma_pago"] == "04"
    assert any("Cursos" in line for line in body["explanation"])
    assert (Invoice.objects.count(), Payment.objects.count(), InvoicingRule.objects.count()) == before


def test_preview_of_a_saved_rule_and_of_a_skip_rule(api, charge_event):
    saved = api.post("/invoicing-rules", {"name": "Omitir", "decision": {"invoice": False, "skip_reason": "x"}})
    response = api.post("/invoicing-rules/preview", {"payment_id": charge_event.payment_id})
    body = response.json()
    assert body["would_invoice"] is False and body["code"] == "skipped_by_rule"
    assert body["rule"]["id"] == saved.json()["id"] and body["invoice"] is None


def test_preview_needs_exactly_one_target(api):
    response = api.post("/invoicing-rules/preview", {"rule": COURSES})
    assert response.status_code == 422 and error_of(response)["code"] == "preview_target_required"


def test_another_orgs_rules_and_events_are_not_found(api, charge_event):
    rule_id = api.post("/invoicing-rules", COURSES).json()["id"]
    other = ApiClient(make_token(make_org()))
    assert other.get(f"/invoicing-rules/{rule_id}").status_code == 404
    assert other.request("PUT", f"/invoicing-rules/{rule_id}", COURSES).status_code == 404
    assert other.delete(f"/invoicing-rules/{rule_id}").status_code == 404
    assert other.get("/invoicing-rules").json()["data"] == []
    preview = other.post("/invoicing-rules/preview", {"event_id": charge_event.pk})
    assert preview.status_code == 404 and error_of(preview)["code"] == "not_found"
    assert other.post("/invoicing-rules/preview", {"payment_id": charge_event.payment_id}).status_code == 404
    assert other.post("/invoicing-rules/preview", {"rule_id": rule_id, "rule": COURSES,
                                                   "payment_id": 0}).status_code == 404
    assert InvoicingRule.objects.get().name == "Cursos"
