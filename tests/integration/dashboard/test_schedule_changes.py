"""Editing a plan and changing a schedule's lines or price from the dashboard: from the next cycle
on, visible in the schedule's history; CSRF and foreign-org 404s."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.integration.schedules.conftest import at, make_plan, make_schedule
from timbra.schedules.models import Plan, Schedule, ScheduleChange

pytestmark = pytest.mark.django_db

LINE_DATA = {"lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0",
             "lines-MAX_NUM_FORMS": "5"}
PLAN_TERMS = {"name": "Plan Gimnasio", "frequency": "monthly", "payment": "PPD", "notice_days": "3", "active": "on"}


def plan_line(price: str = "500.00") -> dict[str, object]:
    return {"lines-0-descripcion": "Mensualidad gimnasio {periodo}", "lines-0-clave_prod_serv": "72101500",
            "lines-0-clave_unidad": "E48", "lines-0-cantidad": "1", "lines-0-unit_price": price,
            "lines-0-taxes": ["IVA16"]}


@pytest.fixture
def plan(org) -> Plan:
    return make_plan(org, as_of=at(2026, 11, 20, 10))


@pytest.fixture
def member(org, customer, plan) -> Schedule:
    return make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10), plan_id=plan.pk)


@pytest.fixture
def own(org, customer) -> Schedule:
    return make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10),
                         name="Mantenimiento mensual")


def detail(client: Client, schedule: Schedule) -> str:
    return client.get(reverse("dashboard:schedule_detail", args=[schedule.pk])).content.decode()


def test_the_plan_edit_page_is_prefilled_and_linked_from_the_list(client_in, plan, member):
    assert reverse("dashboard:plan_edit", args=[plan.pk]) in client_in.get(reverse("dashboard:plan_list")).content.decode()
    page = client_in.get(reverse("dashboard:plan_edit", args=[plan.pk])).content.decode()
    assert 'value="Plan Gimnasio"' in page and "Mensualidad gimnasio {periodo}" in page and 'value="500.00"' in page
    assert "1 suscripción en curso" in page


def test_a_new_plan_price_reaches_every_members_next_invoice_and_their_history(client_in, plan, member):
    # given a member whose next invoice is 500.00 + IVA
    assert "$580.00 MXN" in detail(client_in, member)
    # when the plan's price goes to 650.00
    response = client_in.post(reverse("dashboard:plan_edit", args=[plan.pk]), {**LINE_DATA, **PLAN_TERMS,
                                                                                **plan_line("650.00")})
    # then the plan has a new version and the member's next invoice follows it
    assert response.status_code == 302
    plan.refresh_from_db()
    assert len(plan.versions) == 2 and plan.lines[0]["unit_price"] == "650.00"
    page = detail(client_in, member)
    assert "$754.00 MXN" in page
    assert "El plan «Plan Gimnasio» cambió sus partidas; aplican desde la factura de diciembre 2026" in page


def test_editing_terms_without_touching_the_lines_adds_no_version(client_in, plan, member):
    data = {**LINE_DATA, **PLAN_TERMS, **plan_line(), "frequency": "quarterly", "notice_days": "5",
            "name": "Plan Gimnasio Plus"}

    assert client_in.post(reverse("dashboard:plan_edit", args=[plan.pk]), data).status_code == 302

    plan.refresh_from_db()
    member.refresh_from_db()
    assert (plan.name, plan.frequency, plan.notice_days, len(plan.versions)) == ("Plan Gimnasio Plus", "quarterly", 5, 1)
    assert member.frequency == "monthly"  # a member's dates never move because the plan was edited
    assert not ScheduleChange.objects.filter(kind="plan_changed").exists()


def test_the_plan_edit_shows_the_services_spanish_error(client_in, plan):
    data = {**LINE_DATA, **PLAN_TERMS, **plan_line(), "lines-0-descripcion": "", "lines-0-unit_price": ""}

    response = client_in.post(reverse("dashboard:plan_edit", args=[plan.pk]), data)

    assert response.status_code == 200 and "Indica al menos una partida." in response.content.decode()


def test_a_schedules_own_lines_change_from_the_next_cycle_and_show_in_history(client_in, own):
    page = client_in.get(reverse("dashboard:schedule_lines", args=[own.pk])).content.decode()
    assert "Mantenimiento {periodo}" in page and 'value="1000.00"' in page
    assert reverse("dashboard:schedule_lines", args=[own.pk]) in detail(client_in, own)
    data = {**LINE_DATA, "lines-0-descripcion": "Mantenimiento {periodo}", "lines-0-clave_prod_serv": "72101500",
            "lines-0-clave_unidad": "E48", "lines-0-cantidad": "2", "lines-0-unit_price": "1000.00",
            "lines-0-taxes": ["IVA16"]}

    response = client_in.post(reverse("dashboard:schedule_lines", args=[own.pk]), data)

    assert response.status_code == 302
    page = detail(client_in, own)
    assert "$2,320.00 MXN" in page and "cambió las partidas desde la factura de diciembre 2026" in page


def test_a_members_special_price_over_its_plan(client_in, member):
    page = client_in.get(reverse("dashboard:schedule_lines", args=[member.pk])).content.decode()
    assert "Precios especiales sobre el plan «Plan Gimnasio»" in page

    response = client_in.post(reverse("dashboard:schedule_lines", args=[member.pk]), {"price_1": "450.00"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.line_versions[-1]["overrides"] == [{"position": 1, "unit_price": "450.00", "cantidad": None}]
    assert "$522.00 MXN" in detail(client_in, member)


def test_changes_need_the_csrf_token(staff, plan, own):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)

    assert browser.post(reverse("dashboard:plan_edit", args=[plan.pk]), {}).status_code == 403
    assert browser.post(reverse("dashboard:schedule_lines", args=[own.pk]), {}).status_code == 403


def test_another_orgs_plan_or_schedule_is_a_404(client_in, foreign):
    other_plan = make_plan(foreign["org"], as_of=at(2026, 11, 20, 10))
    other_schedule = make_schedule(foreign["org"], foreign["org"].customers.get(), as_of=at(2026, 11, 20, 10),
                                   anchor_date=date(2026, 12, 10))

    for url in (reverse("dashboard:plan_edit", args=[other_plan.pk]),
                reverse("dashboard:schedule_lines", args=[other_schedule.pk])):
        assert client_in.get(url).status_code == 404
        assert client_in.post(url, {"price_1": "1.00", **LINE_DATA}).status_code == 404
    other_plan.refresh_from_db()
    assert len(other_plan.versions) == 1 and not other_schedule.changes.filter(kind="lines_changed").exists()
