"""/api/v1/plans and /api/v1/schedules: create, list, read, act, preview, MRR (isolation: api/test_isolation.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.integration.api.conftest import ApiClient, error_of, make_token
from tests.integration.schedules.conftest import at, make_schedule
from timbra.schedules.models import Schedule
from timbra.schedules.services.issue import issue_due_invoices
from timbra.schedules.services.pause import pause

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org) -> ApiClient:
    return ApiClient(make_token(org))


@pytest.fixture
def plan(api, product) -> dict:
    response = api.post("/plans", {"name": "Plan Pro", "lines": [{"product_id": product.pk}], "frequency": "monthly"},
                        key="plan-1")
    assert response.status_code == 201, response.content
    return response.json()


def schedule_body(customer, plan) -> dict:
    return {"customer_id": customer.pk, "plan_id": plan["id"], "anchor_date": "2026-01-31",
            "overrides": [{"position": 1, "unit_price": "799.00"}], "name": "Pro de Robótica"}


def test_a_plan_is_created_listed_read_and_changed(api, plan, product):
    assert plan["frequency_label"] == "mensual" and plan["forma_pago"] == "99"
    assert plan["lines"][0]["descripcion"] == "Suscripción mensual plataforma SaaS ({periodo})"
    api.post("/plans", {"name": "Plan Básico", "lines": [{"product_id": product.pk}]}, key="plan-2")
    page = api.get("/plans", {"limit": 1}).json()
    assert [p["name"] for p in page["data"]] == ["Plan Básico"] and page["has_more"]
    assert api.get("/plans", {"cursor": page["next_cursor"]}).json()["data"][0]["id"] == plan["id"]
    assert api.get(f"/plans/{plan['id']}").json()["name"] == "Plan Pro"
    changed = api.patch(f"/plans/{plan['id']}", {"lines": [{"product_id": product.pk, "unit_price": "1200"}]})
    assert changed.status_code == 200 and changed.json()["lines"][0]["unit_price"] == "1200"


def test_a_schedule_is_created_active_with_its_next_invoice_and_history(api, plan, customer):
    response = api.post("/schedules", schedule_body(customer, plan), key="sched-1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["status_label"], body["metodo_pago"], body["forma_pago"]) == (
        "active", "Activa", "PPD", "99")
    assert body["name"] == "Pro de Robótica" and body["plan"] == {"id": plan["id"], "name": "Plan Pro"}
    upcoming = body["next_invoice"]
    assert (upcoming["local_date"], upcoming["period_label"], upcoming["total"]) == (
        "2026-11-30", "noviembre 2026", "926.84")
    assert upcoming["lines"][0]["descripcion"] == "Suscripción mensual plataforma SaaS (noviembre 2026)"
    assert [h["kind"] for h in body["history"]] == ["created", "activated"]
    # and the same Idempotency-Key replays the same answer without a second schedule
    replay = api.post("/schedules", schedule_body(customer, plan), key="sched-1")
    assert replay["Idempotent-Replayed"] == "true" and replay.json()["id"] == body["id"]
    assert Schedule.objects.count() == 1


def test_invalid_schedules_are_refused_with_a_spanish_reason(api, plan, customer):
    both = api.post("/schedules", {**schedule_body(customer, plan), "lines": [{"descripcion": "x"}]})
    assert error_of(both)["code"] == "plan_or_lines" and both.status_code == 422
    unknown = api.post("/schedules", {**schedule_body(customer, plan), "frequency": "fortnightly"})
    assert error_of(unknown)["code"] == "invalid_frequency" and "Frecuencia" in error_of(unknown)["message"]
    extra = api.post("/schedules", {**schedule_body(customer, plan), "org_id": 99})
    assert error_of(extra)["code"] == "validation_error" and error_of(extra)["field"] == "org_id"
    assert Schedule.objects.count() == 0


def test_a_read_only_key_can_list_but_not_create(org, plan, customer):
    reader = ApiClient(make_token(org, scopes="read"))
    assert reader.get("/schedules").status_code == 200
    refused = reader.post("/schedules", schedule_body(customer, plan))
    assert refused.status_code == 403 and error_of(refused)["code"] == "insufficient_scope"


def test_list_filters_by_status_and_shows_the_next_invoice(api, plan, customer):
    active = api.post("/schedules", schedule_body(customer, plan)).json()
    draft = api.post("/schedules", {**schedule_body(customer, plan), "activate": False}).json()
    rows = api.get("/schedules", {"status": "draft"}).json()["data"]
    assert [r["id"] for r in rows] == [draft["id"]] and rows[0]["next_invoice"] is None
    rows = api.get("/schedules", {"status": "active", "customer_id": customer.pk}).json()["data"]
    assert [r["id"] for r in rows] == [active["id"]] and rows[0]["next_invoice"]["total"] == "926.84"
    activated = api.post(f"/schedules/{draft['id']}/activate", key="act")
    assert activated.json()["status"] == "active"


def test_actions_pause_resume_skip_change_and_cancel(api, plan, customer):
    schedule = api.post("/schedules", schedule_body(customer, plan)).json()
    base = f"/schedules/{schedule['id']}"
    assert api.post(f"{base}/pause", key="p").json()["status"] == "paused"
    assert api.post(f"{base}/pause", key="p2").json()["error"]["code"] == "schedule_status"
    assert api.post(f"{base}/resume", key="r").json()["status"] == "active"
    skipped = api.post(f"{base}/skip-next", key="s").json()
    assert skipped["next_invoice"]["period_label"] == "diciembre 2026"
    changed = api.post(f"{base}/lines", {"overrides": [{"position": 1, "unit_price": "500.00"}]}, key="l").json()
    assert changed["next_invoice"]["total"] == "580.00"
    assert changed["lines"][-1]["overrides"] == [{"position": 1, "unit_price": "500.00", "cantidad": None}]
    neither = api.post(f"{base}/lines", {}, key="l2")
    assert error_of(neither)["code"] == "lines_or_overrides"
    cancelled = api.post(f"{base}/cancel", {"at_period_end": False}, key="c").json()
    assert cancelled["status"] == "cancelled" and cancelled["next_invoice"] is None
    kinds = [h["kind"] for h in cancelled["history"]]
    assert kinds == ["created", "activated", "paused", "resumed", "skipped", "lines_changed", "cancelled"]


def test_a_schedule_shows_the_invoices_it_issued(api, org, customer):
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20))
    issue_due_invoices(as_of=at(2026, 11, 20, 9))
    body = api.get(f"/schedules/{schedule.pk}").json()
    assert [(r["period_key"], r["serie_folio"], r["invoice_status"]) for r in body["issued"]] == [
        ("2026-11", "A-1", "draft")]
    assert body["next_invoice"]["local_date"] == "2026-12-20"


def test_preview_lists_future_invoices_with_totals(api, plan, customer):
    api.post("/schedules", schedule_body(customer, plan))
    body = api.get("/schedules/preview", {"until": "2027-01-31"}).json()
    assert body["count"] == 3 and body["totals"] == {"MXN": "2780.52"}
    assert [i["local_date"] for i in body["invoices"]] == ["2026-11-30", "2026-12-31", "2027-01-31"]
    assert body["invoices"][0]["error"] is None
    too_far = api.get("/schedules/preview", {"until": "2031-01-01"})
    assert error_of(too_far)["code"] == "until_too_far"
    assert error_of(api.get("/schedules/preview"))["field"] == "until"


def test_mrr_normalises_frequencies_and_lists_other_currencies_apart(api, org, customer):
    created = at(2026, 11, 20, 10)
    make_schedule(org, customer, as_of=created)  # 1,000 a month
    make_schedule(org, customer, as_of=created, frequency="quarterly")  # 1,000 a quarter -> 333.33
    paused = make_schedule(org, customer, as_of=created)
    pause(paused, actor="pruebas", as_of=created)
    make_schedule(org, customer, as_of=created, moneda="USD", tipo_cambio=Decimal("18.50"))
    body = api.get("/schedules/mrr").json()
    assert body == {"mxn": "1333.33", "schedules": 3, "other_currencies": {"USD": "1000.00"},
                    "failed_schedule_ids": []}
