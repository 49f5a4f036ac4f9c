"""Suscripciones, planes and próximas facturas in the dashboard: pages, actions, CSRF, isolation."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import make_customer
from tests.integration.schedules.conftest import at, make_plan, make_schedule
from timbra.schedules.models import Plan, Schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedule(org, customer) -> Schedule:
    return make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10),
                         name="Mantenimiento mensual")


LINE_DATA = {"lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
             "lines-MAX_NUM_FORMS": "5"}
OWN_LINE = {"lines-0-descripcion": "Soporte {periodo}", "lines-0-clave_prod_serv": "81112101",
            "lines-0-clave_unidad": "E48", "lines-0-cantidad": "1", "lines-0-unit_price": "2500.00",
            "lines-0-taxes": ["IVA16"]}


def test_the_list_shows_next_date_amount_status_and_mrr(client_in, schedule):
    page = client_in.get(reverse("dashboard:schedule_list")).content.decode()

    assert "Mantenimiento mensual" in page and "10/12/2026" in page and "diciembre 2026" in page
    assert "$1,160.00 MXN" in page and "Activa" in page
    assert "Ingreso recurrente mensual (MRR)" in page and "$1,000.00 MXN" in page
    assert reverse("dashboard:schedule_list") in client_in.get(reverse("dashboard:invoice_list")).content.decode()


def test_the_schedule_page_shows_lines_history_and_actions(client_in, schedule):
    page = client_in.get(reverse("dashboard:schedule_detail", args=[schedule.pk])).content.decode()

    assert "Mantenimiento diciembre 2026" in page and "$1,160.00 MXN" in page
    assert "Activada por pruebas" in page and "Facturas emitidas" in page
    for name in ("schedule_pause", "schedule_skip", "schedule_cancel"):
        assert reverse(f"dashboard:{name}", args=[schedule.pk]) in page
    assert reverse("dashboard:schedule_resume", args=[schedule.pk]) not in page


def test_pause_resume_skip_and_cancel_call_the_services(client_in, schedule):
    def post(name: str) -> Schedule:
        response = client_in.post(reverse(f"dashboard:{name}", args=[schedule.pk]))
        assert response.status_code == 302
        return Schedule.objects.get(pk=schedule.pk)

    assert post("schedule_pause").status == Schedule.PAUSED
    assert post("schedule_resume").status == Schedule.ACTIVE
    assert post("schedule_skip").calendar["skipped"] == [0]
    cancelled = post("schedule_cancel")
    assert cancelled.status in (Schedule.ACTIVE, Schedule.CANCELLED)
    assert [c.kind for c in cancelled.changes.all()][-4:] == ["paused", "resumed", "skipped", "cancelled"]
    page = client_in.get(reverse("dashboard:schedule_detail", args=[schedule.pk])).content.decode()
    assert "omitió la factura de diciembre 2026" in page


def test_a_refused_action_shows_the_services_spanish_message(client_in, schedule):
    client_in.post(reverse("dashboard:schedule_resume", args=[schedule.pk]))

    page = client_in.get(reverse("dashboard:schedule_detail", args=[schedule.pk])).content.decode()

    assert "No se puede reanudar una programación activa." in page


def test_actions_need_the_csrf_token_and_a_post(staff, schedule):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    url = reverse("dashboard:schedule_pause", args=[schedule.pk])

    assert browser.post(url).status_code == 403
    assert browser.get(url).status_code == 405
    assert Schedule.objects.get(pk=schedule.pk).status == Schedule.ACTIVE


def test_create_a_schedule_with_own_lines_and_an_end_after_cycles(client_in, org, customer):
    data = {**LINE_DATA, **OWN_LINE, "customer": customer.pk, "frequency": "quarterly", "start_date": "2026-12-01",
            "end": "cycles", "cycles": "4", "payment": "PPD", "notice_days": "5", "activate": "on"}

    response = client_in.post(reverse("dashboard:schedule_new"), data)

    schedule = Schedule.objects.get(org=org)
    assert response.status_code == 302 and response.url == reverse("dashboard:schedule_detail", args=[schedule.pk])
    assert schedule.status == Schedule.ACTIVE and schedule.frequency == "quarterly" and schedule.cycles == 4
    assert schedule.notice_days == 5 and not schedule.prepaid and schedule.line_versions[0]["lines"][0]["unit_price"]


def test_create_a_prepaid_draft_on_a_plan(client_in, org, customer):
    plan = make_plan(org, as_of=at(2026, 11, 20, 10))
    data = {**LINE_DATA, "customer": customer.pk, "plan": plan.pk, "end": "date", "end_date": "2027-12-31",
            "payment": "PUE", "forma_pago": "04", "every_n": ""}

    client_in.post(reverse("dashboard:schedule_new"), data)

    schedule = Schedule.objects.get(org=org)
    assert schedule.plan == plan and schedule.status == Schedule.DRAFT and schedule.prepaid
    assert schedule.forma_pago == "04" and schedule.end_date == date(2027, 12, 31) and schedule.notice_days == 3


def test_create_shows_the_services_spanish_error(client_in, org, customer):
    data = {**LINE_DATA, "customer": customer.pk, "end": "never"}  # neither plan nor lines

    response = client_in.post(reverse("dashboard:schedule_new"), data)

    assert "Indica al menos una partida." in response.content.decode()
    assert not Schedule.objects.exists()


def test_create_refuses_another_orgs_customer_or_plan(client_in, foreign):
    other_plan = make_plan(foreign["org"], as_of=at(2026, 11, 20, 10))
    data = {**LINE_DATA, **OWN_LINE, "customer": foreign["customer_id"], "plan": other_plan.pk, "end": "never"}

    response = client_in.post(reverse("dashboard:schedule_new"), data)

    assert response.status_code == 200 and response.content.decode().count('class="field has-error') == 2
    assert not Schedule.objects.exists()


def test_plans_list_and_create(client_in, org):
    data = {**LINE_DATA, **OWN_LINE, "name": "Plan Oro", "frequency": "every_n_months", "every_n": "4",
            "payment": "PPD", "notice_days": "2"}

    response = client_in.post(reverse("dashboard:plan_new"), data)

    plan = Plan.objects.get(org=org)
    assert response.status_code == 302 and plan.frequency == "every_n_months:4" and plan.notice_days == 2
    page = client_in.get(reverse("dashboard:plan_list")).content.decode()
    assert "Plan Oro" in page and "$2,500.00" in page


def test_upcoming_lists_the_next_30_days_and_the_reps_section(client_in, org, customer, schedule):
    make_schedule(org, make_customer(org, rfc="EWE1709045U0"), as_of=at(2026, 11, 20, 10),
                  anchor_date=date(2027, 2, 1), start_date=date(2027, 2, 1))

    page = client_in.get(reverse("dashboard:upcoming")).content.decode()

    assert "10/12/2026" in page and "$1,160.00 MXN" in page and "EDGAR WALDO ERDMANN" not in page
    assert "REPs por emitir" in page and "No hay complementos de pago pendientes." in page


def test_another_mode_or_org_never_shows_in_the_lists(client_in, org, foreign):
    other = make_customer(foreign["org"], rfc="EWE1709045U0")
    make_schedule(foreign["org"], other, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10), name="ajena")
    make_plan(foreign["org"], as_of=at(2026, 11, 20, 10), name="Plan ajeno")

    pages = [client_in.get(reverse(f"dashboard:{name}")).content.decode()
             for name in ("schedule_list", "upcoming", "plan_list")]

    assert not any("ajen" in page or "EDGAR WALDO ERDMANN" in page for page in pages)


def test_a_user_without_membership_gets_no_schedule_pages(db):
    user = User.objects.create_user("sin-org", password="x")
    browser = Client()
    browser.force_login(user)

    assert browser.get(reverse("dashboard:schedule_list")).status_code == 403
