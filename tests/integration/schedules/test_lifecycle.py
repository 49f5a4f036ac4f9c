"""Pause, resume, skip, change lines, cancel; payment terms; every change in the history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.integration.schedules.conftest import (
    ACTOR,
    at,
    explicit_line,
    make_plan,
    make_schedule,
    refreshed,
    run_daily,
)
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.schedules import signals
from timbra.schedules.lines import LineOverride
from timbra.schedules.models import Schedule
from timbra.schedules.services.cancel import cancel_at_period_end, cancel_now
from timbra.schedules.services.change_lines import change_lines_from_next_cycle
from timbra.schedules.services.create_schedule import activate
from timbra.schedules.services.issue import issue_due_invoices
from timbra.schedules.services.pause import pause, resume
from timbra.schedules.services.skip import skip_next

pytestmark = pytest.mark.django_db


def periods(schedule: Schedule) -> list[str]:
    rows = Invoice.objects.filter(source="schedule", source_id__startswith=f"{schedule.pk}:").order_by("pk")
    return [r.source_id.split(":")[1] for r in rows]


@pytest.fixture
def monthly(org, customer):
    """Monthly on the 1st from Dec 1 2026, at 1,000.00 + IVA."""
    return make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1))


def test_pause_issues_nothing_and_resume_returns_to_the_anchor(monthly):
    # given December issued, then a pause on Dec 15
    run_daily(at(2026, 11, 20), at(2026, 12, 15, 8))
    pause(monthly, actor=ACTOR, as_of=at(2026, 12, 15, 9))
    assert refreshed(monthly).status == Schedule.PAUSED and refreshed(monthly).next_due_at is None
    # when time passes to Mar 10, it is resumed, and time passes to May
    run_daily(at(2026, 12, 16), at(2027, 3, 10, 8))
    resume(refreshed(monthly), actor=ACTOR, as_of=at(2027, 3, 10, 9))
    run_daily(at(2027, 3, 11), at(2027, 5, 2))
    # then January to March were never invoiced; April 1 is the next one, on its anchor
    assert periods(monthly) == ["2026-12", "2027-04", "2027-05"]
    kinds = list(monthly.changes.values_list("kind", flat=True))
    assert kinds == ["created", "activated", "issued", "paused", "resumed", "issued", "issued"]
    assert "abril 2027 (1 de abril de 2027)" in monthly.changes.get(kind="resumed").message


def test_a_cycle_already_due_when_paused_is_still_issued(monthly):
    # given Dec 1 is due at 06:00 and the business pauses at 06:02, before the 06:05 pass
    pause(monthly, actor=ACTOR, as_of=at(2026, 12, 1, 6, 2))
    issue_due_invoices(as_of=at(2026, 12, 1, 6, 5))
    # then December, owed before the pause, goes out; nothing after
    run_daily(at(2026, 12, 2), at(2027, 2, 2))
    assert periods(monthly) == ["2026-12"]


def test_skip_next_omits_one_period_and_keeps_the_following_dates(org, customer):
    # given a schedule on the 31st, skipping the next period (Nov 30)
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 1, 31))
    skip_next(schedule, actor=ACTOR, as_of=at(2026, 11, 20, 11))
    # when the calendar runs to February
    run_daily(at(2026, 11, 20), at(2027, 3, 1))
    # then November is skipped and the 31st anchor holds
    assert periods(schedule) == ["2026-12", "2027-01", "2027-02"]
    assert "omitió la factura de noviembre 2026 (30 de noviembre de 2026)" in schedule.changes.get(
        kind="skipped").message


def test_change_lines_applies_from_the_next_cycle_and_not_to_one_already_due(monthly):
    # given December issued at 1,000
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    # when the price changes on Dec 10, and again at Jan 1 06:02 (January is due at 06:00)
    change_lines_from_next_cycle(monthly, lines=(explicit_line("Mantenimiento {periodo}", "1200.00"),),
                                 actor=ACTOR, as_of=at(2026, 12, 10))
    change_lines_from_next_cycle(refreshed(monthly), lines=(explicit_line("Soporte {periodo}", "1500.00"),),
                                 actor=ACTOR, as_of=at(2027, 1, 1, 6, 2))
    run_daily(at(2027, 1, 1), at(2027, 2, 2))
    # then December 1,000; January 1,200 (due before the second change); February 1,500
    lines = [Invoice.objects.get(source_id=f"{monthly.pk}:{k}").lines.get() for k in ("2026-12", "2027-01", "2027-02")]
    assert [ln.valor_unitario for ln in lines] == [Decimal(1000), Decimal(1200), Decimal(1500)]
    assert lines[2].descripcion == "Soporte febrero 2027"
    assert "desde la factura de enero 2027" in monthly.changes.filter(kind="lines_changed").first().message


def test_overrides_from_the_next_cycle_on_a_plan_member(org, customer):
    plan = make_plan(org, as_of=at(2026, 11, 20), price="500.00")
    member = make_schedule(org, customer, as_of=at(2026, 11, 20), plan_id=plan.pk, anchor_date=date(2026, 12, 1))
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    change_lines_from_next_cycle(member, overrides=(LineOverride(position=1, unit_price=Decimal(450)),),
                                 actor=ACTOR, as_of=at(2026, 12, 2))
    issue_due_invoices(as_of=at(2027, 1, 1, 7))
    prices = [Invoice.objects.get(source_id=f"{member.pk}:{k}").lines.get().valor_unitario
              for k in ("2026-12", "2027-01")]
    assert prices == [Decimal(500), Decimal(450)]


def test_cancel_at_period_end_issues_nothing_more_and_cancels_when_the_period_ends(monthly):
    # given December issued; on Dec 10 the customer cancels at the end of the period
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    cancel_at_period_end(monthly, actor=ACTOR, as_of=at(2026, 12, 10))
    schedule = refreshed(monthly)
    assert schedule.status == Schedule.ACTIVE and schedule.cancel_at_period_end
    assert "termina el 1 de enero de 2027" in schedule.changes.get(kind="cancel_at_period_end").message
    # when the issuer runs through January
    run_daily(at(2026, 12, 11), at(2027, 2, 2))
    # then no January invoice, and it is cancelled once December's period ended
    assert periods(monthly) == ["2026-12"]
    schedule = refreshed(monthly)
    assert schedule.status == Schedule.CANCELLED and schedule.finished_at == at(2027, 1, 1, 7)
    with pytest.raises(InvoicingError):
        cancel_at_period_end(schedule, actor=ACTOR, as_of=at(2027, 1, 2))


def test_cancel_now_stops_at_once(monthly):
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    cancel_now(monthly, actor=ACTOR, as_of=at(2026, 12, 10))
    run_daily(at(2026, 12, 11), at(2027, 3, 2))
    assert periods(monthly) == ["2026-12"]
    assert refreshed(monthly).status == Schedule.CANCELLED
    with pytest.raises(InvoicingError) as refused:
        resume(refreshed(monthly), actor=ACTOR, as_of=at(2027, 3, 3))
    assert refused.value.code == "schedule_status" and "cancelada" in refused.value.message


def test_a_draft_issues_nothing_until_activated_and_activation_is_announced(org, customer, frozen,
                                                                            django_capture_on_commit_callbacks):
    # given a draft created Nov 20 for Dec 1, and a listener (the notices work connects here)
    announced = []
    signals.schedule_activated.connect(lambda sender, schedule, as_of, **kw: announced.append(schedule.pk),
                                       weak=False, dispatch_uid="test-announce")
    try:
        draft = make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 1),
                              activate_it=False)
        run_daily(at(2026, 11, 20), at(2026, 12, 5))
        assert periods(draft) == [] and refreshed(draft).status == Schedule.DRAFT
        # when activated on Dec 5 (its Dec 1 cycle is already past); its jobs run (immediate queue)
        frozen.move_to(at(2026, 12, 5, 10))
        with django_capture_on_commit_callbacks(execute=True):
            activate(draft, actor=ACTOR, as_of=at(2026, 12, 5, 10))
    finally:
        signals.schedule_activated.disconnect(dispatch_uid="test-announce")
    # then it was announced once, and the owed December cycle was issued on activation
    assert announced == [draft.pk]
    assert periods(draft) == ["2026-12"]


def test_ppd_with_forma_99_by_default_and_pue_when_prepaid(org, customer):
    # given one schedule billed before payment and one pre-paid by transfer
    billed = make_schedule(org, customer, as_of=at(2026, 11, 20), anchor_date=date(2026, 12, 1))
    prepaid = make_schedule(org, customer, as_of=at(2026, 11, 20), anchor_date=date(2026, 12, 1), prepaid=True,
                            forma_pago="03")
    # when issued
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    # then PPD + 99 (payment still due, a REP follows) and PUE + 03
    terms = {s.pk: Invoice.objects.filter(source_id__startswith=f"{s.pk}:").values_list("metodo_pago", "forma_pago")
             .get() for s in (billed, prepaid)}
    assert terms == {billed.pk: ("PPD", "99"), prepaid.pk: ("PUE", "03")}


def test_a_prepaid_schedule_without_a_real_forma_de_pago_is_refused(org, customer):
    for forma in (None, "99"):
        with pytest.raises(InvoicingError) as refused:
            make_schedule(org, customer, as_of=at(2026, 11, 20), prepaid=True, forma_pago=forma)
        assert refused.value.code == "forma_pago_required" and refused.value.field == "forma_pago"


def test_a_prepaid_plan_makes_its_members_pue(org, customer):
    plan = make_plan(org, as_of=at(2026, 11, 20), prepaid=True, forma_pago="04")
    member = make_schedule(org, customer, as_of=at(2026, 11, 20), plan_id=plan.pk, anchor_date=date(2026, 12, 1))
    issue_due_invoices(as_of=at(2026, 12, 1, 7))
    invoice = Invoice.objects.get(source_id=f"{member.pk}:2026-12")
    assert (invoice.metodo_pago, invoice.forma_pago) == ("PUE", "04")


def test_a_schedule_whose_first_invoice_cannot_be_built_is_refused_at_creation(org, customer):
    with pytest.raises(InvoicingError) as refused:
        make_schedule(org, customer, as_of=at(2026, 11, 20),
                      lines=(explicit_line("Renta {mes_siguiente}"),))
    assert refused.value.code == "unknown_placeholder" and refused.value.field == "lines[0].descripcion"
    with pytest.raises(InvoicingError) as refused:
        make_schedule(org, customer, as_of=at(2026, 11, 20), lines=(explicit_line(price="10.1234567"),))
    assert refused.value.code == "too_many_decimals"


def test_a_uso_cfdi_override_the_customers_regimen_does_not_allow_is_refused_at_creation(org, customer):
    # given a persona moral in régimen 601: D01 (honorarios médicos) is only for personas físicas
    with pytest.raises(InvoicingError) as refused:
        make_schedule(org, customer, as_of=at(2026, 11, 20), uso_cfdi="D01")
    assert refused.value.code == "CFDI40161" and refused.value.field == "uso_cfdi"
