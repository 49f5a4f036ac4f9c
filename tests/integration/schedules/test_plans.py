"""Plans: one price for many members; a change reaches each member's NEXT invoice; overrides win."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.integration.schedules.conftest import at, explicit_line, make_plan, make_schedule
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.schedules.lines import LineOverride
from timbra.schedules.services.issue import issue_due_invoices
from timbra.schedules.services.plans import update_plan

pytestmark = pytest.mark.django_db


def price_of(schedule, period_key: str) -> Decimal:
    return Invoice.objects.get(source_id=f"{schedule.pk}:{period_key}").lines.get().valor_unitario


@pytest.fixture
def gym(org, customer):
    """A monthly gym plan at 500 with two members on the 1st; one pays 400 (override)."""
    created = at(2026, 11, 20, 10)
    plan = make_plan(org, as_of=created, price="500.00")
    member = make_schedule(org, customer, as_of=created, plan_id=plan.pk, anchor_date=date(2026, 12, 1))
    special = make_schedule(org, customer, as_of=created, plan_id=plan.pk, anchor_date=date(2026, 12, 1),
                            overrides=(LineOverride(position=1, unit_price=Decimal("400.00")),))
    return plan, member, special


def test_a_plan_price_change_reaches_the_next_invoice_not_the_current_one(gym):
    plan, member, special = gym
    # given December issued at 500 (and 400 for the special member)
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    # when the gym raises the plan to 600 on Dec 10
    update_plan(plan, {"lines": (explicit_line("Mensualidad gimnasio {periodo}", "600.00"),)},
                as_of=at(2026, 12, 10), actor="panel")
    issue_due_invoices(as_of=at(2027, 1, 1, 7))
    # then December keeps 500, January is 600, and the member with an override keeps paying 400
    assert (price_of(member, "2026-12"), price_of(member, "2027-01")) == (Decimal(500), Decimal(600))
    assert (price_of(special, "2026-12"), price_of(special, "2027-01")) == (Decimal(400), Decimal(400))
    # and each member's history says when the change applies
    change = member.changes.get(kind="plan_changed")
    assert change.actor == "panel" and "enero 2027 (1 de enero de 2027)" in change.message


def test_a_cycle_already_due_keeps_the_old_price_even_if_issued_after_the_change(gym):
    plan, member, _ = gym
    # given January is due at 06:00, and the gym changes the price at 06:02, before the 06:05 pass
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    update_plan(plan, {"lines": (explicit_line("Mensualidad gimnasio {periodo}", "650.00"),)},
                as_of=at(2027, 1, 1, 6, 2), actor="panel")
    issue_due_invoices(as_of=at(2027, 1, 1, 6, 5))
    issue_due_invoices(as_of=at(2027, 2, 1, 7))
    # then January (due before the change) is 500 and February 650
    assert price_of(member, "2027-01") == Decimal(500)
    assert price_of(member, "2027-02") == Decimal(650)


def test_an_override_is_the_members_own_quantity_and_price_over_the_plan(org, customer):
    # given a plan of two lines; a member takes 3 units of the second at 90
    plan = make_plan(org, as_of=at(2026, 11, 20), lines=(
        explicit_line("Renta {periodo}", "1000.00"), explicit_line("Estacionamiento {periodo}", "100.00")))
    member = make_schedule(org, customer, as_of=at(2026, 11, 20), plan_id=plan.pk, anchor_date=date(2026, 12, 1),
                           overrides=(LineOverride(position=2, unit_price=Decimal(90), cantidad=Decimal(3)),))
    # when it is issued
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    # then line 1 is the plan's, line 2 the member's, and the total follows (IVA 16 %)
    invoice = Invoice.objects.get(source_id=f"{member.pk}:2026-12")
    assert [(ln.descripcion, ln.cantidad, ln.valor_unitario) for ln in invoice.lines.all()] == [
        ("Renta diciembre 2026", Decimal(1), Decimal(1000)),
        ("Estacionamiento diciembre 2026", Decimal(3), Decimal(90)),
    ]
    assert invoice.total == Decimal("1473.20")


def test_removing_a_plan_line_a_member_overrides_is_refused(org, customer):
    plan = make_plan(org, as_of=at(2026, 11, 20), lines=(
        explicit_line("Renta {periodo}", "1000.00"), explicit_line("Estacionamiento {periodo}", "100.00")))
    make_schedule(org, customer, as_of=at(2026, 11, 20), plan_id=plan.pk,
                  overrides=(LineOverride(position=2, unit_price=Decimal(90)),))
    with pytest.raises(InvoicingError) as refused:
        update_plan(plan, {"lines": (explicit_line("Renta {periodo}", "1100.00"),)}, as_of=at(2026, 11, 21),
                    actor="panel")
    assert refused.value.code == "override_position_invalid" and "partida 2" in refused.value.message


def test_an_inactive_plan_takes_no_new_members_but_keeps_billing_its_members(org, customer):
    plan = make_plan(org, as_of=at(2026, 11, 20))
    member = make_schedule(org, customer, as_of=at(2026, 11, 20), plan_id=plan.pk, anchor_date=date(2026, 12, 1))
    update_plan(plan, {"active": False}, as_of=at(2026, 11, 21), actor="panel")
    with pytest.raises(InvoicingError) as refused:
        make_schedule(org, customer, as_of=at(2026, 11, 21), plan_id=plan.pk)
    assert refused.value.code == "plan_inactive"
    assert issue_due_invoices(as_of=at(2026, 12, 1, 7)).issued == 1
    assert Invoice.objects.filter(source_id=f"{member.pk}:2026-12").exists()
