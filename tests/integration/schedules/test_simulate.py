"""`timbra simulate` and the preview: what they list is exactly what the issuer later issues."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from tests.factories import MX, make_org
from tests.integration.schedules.conftest import (
    ACTOR,
    at,
    explicit_line,
    line,
    make_plan,
    make_schedule,
    run_daily,
)
from timbra import cli
from timbra.invoicing.models import Invoice
from timbra.schedules.lines import LineOverride
from timbra.schedules.models import Schedule, ScheduleChange
from timbra.schedules.services.cancel import cancel_at_period_end
from timbra.schedules.services.skip import skip_next

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(org, customer, product):
    """A mix: month-end anchor, weekly, plan member with override, prepaid quarterly on a product line with
    retentions, a skip, a cancellation at period end and a draft."""
    created = at(2026, 11, 20, 10)
    plan = make_plan(org, as_of=created, price="500.00")
    make_schedule(org, customer, as_of=created, anchor_date=date(2026, 1, 31), name="Renta oficina")
    make_schedule(org, customer, as_of=created, frequency="weekly", anchor_date=date(2026, 11, 23),
                  lines=(explicit_line("Limpieza {periodo}", "350.00", cantidad=Decimal(2)),))
    make_schedule(org, customer, as_of=created, plan_id=plan.pk, anchor_date=date(2026, 12, 15),
                  overrides=(LineOverride(position=1, unit_price=Decimal("450.00")),))
    make_schedule(org, customer, as_of=created, frequency="quarterly", anchor_date=date(2026, 12, 1), prepaid=True,
                  forma_pago="03", lines=(line(product.pk, taxes=("IVA16", "RET_IVA_4")),))
    skipped = make_schedule(org, customer, as_of=created, anchor_date=date(2026, 12, 10))
    skip_next(skipped, actor=ACTOR, as_of=created)
    ending = make_schedule(org, customer, as_of=created, anchor_date=date(2026, 11, 1), start_date=date(2026, 11, 1))
    run_daily(created, created)  # issues November for the one that started on the 1st
    cancel_at_period_end(Schedule.objects.get(pk=ending.pk), actor=ACTOR, as_of=created)
    make_schedule(org, customer, as_of=created, anchor_date=date(2026, 12, 5), activate_it=False)
    return plan


def simulate_json(capsys, *args: str) -> dict:
    assert cli.main(["simulate", "--until", "2027-03-31", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def snapshot() -> tuple:
    return (Invoice.objects.count(), ScheduleChange.objects.count(),
            list(Schedule.objects.order_by("pk").values_list("revision", "next_index", "next_due_at", "status")))


def test_simulate_lists_exactly_what_is_later_issued(book, capsys):
    # given the book, and what simulate says on Nov 20 about the window up to Mar 31
    before = snapshot()
    simulated = simulate_json(capsys)
    # then simulate wrote nothing
    assert snapshot() == before
    # when the real issuer runs every morning through that window
    issued_before = set(Invoice.objects.values_list("pk", flat=True))
    run_daily(at(2026, 11, 20, 10), at(2027, 3, 31, 23))
    issued = Invoice.objects.exclude(pk__in=issued_before).prefetch_related("lines")
    # then the issued invoices are, one for one, the simulated ones: same period, day, terms, lines, amounts
    actual = {i.source_id: i for i in issued}
    assert sorted(actual) == sorted(f"{s['schedule_id']}:{s['period_key']}" for s in simulated["invoices"])
    for item in simulated["invoices"]:
        invoice = actual[f"{item['schedule_id']}:{item['period_key']}"]
        assert invoice.created_at.astimezone(MX).date().isoformat() == item["local_date"]
        assert (invoice.metodo_pago, invoice.forma_pago, invoice.moneda) == (
            item["metodo_pago"], item["forma_pago"], item["moneda"])
        for name in ("subtotal", "descuento", "total_traslados", "total_retenciones", "total"):
            assert str(getattr(invoice, name)) == item[name], name
        assert [(ln.descripcion, str(ln.cantidad), str(ln.valor_unitario), str(ln.importe))
                for ln in invoice.lines.all()] == [
            (ln["descripcion"], ln["cantidad"], ln["valor_unitario"], ln["importe"]) for ln in item["lines"]]
    assert simulated["count"] == len(actual) == 33  # 5 month ends + 19 weeks + 4 + 2 quarters + 3 (one skipped)
    assert simulated["totals"]["MXN"] == str(sum((i.total for i in actual.values()), Decimal("0.00")))


def test_simulate_shows_the_cases_a_business_checks(book, capsys):
    simulated = simulate_json(capsys)
    by_schedule: dict[int, list[dict]] = {}
    for item in simulated["invoices"]:
        by_schedule.setdefault(item["schedule_id"], []).append(item)
    # (the one cancelled at period end, the paused one and the draft issue nothing in the window)
    renta, limpieza, member, quarterly, skipped = sorted(by_schedule)
    # month ends, the override, prepaid retentions, the skip, nothing from the cancelled, paused or draft
    assert [i["local_date"] for i in by_schedule[renta]] == ["2026-11-30", "2026-12-31", "2027-01-31",
                                                              "2027-02-28", "2027-03-31"]
    assert {i["lines"][0]["valor_unitario"] for i in by_schedule[member]} == {"450.000000"}
    assert by_schedule[quarterly][0]["metodo_pago"] == "PUE"
    assert by_schedule[quarterly][0]["total_retenciones"] != "0.00"
    assert [i["period_key"] for i in by_schedule[skipped]][0] == "2027-01"  # Dec 10 was skipped
    assert by_schedule[limpieza][0]["lines"][0]["descripcion"] == "Limpieza semana del 23 al 29 de noviembre de 2026"


def test_simulate_text_is_for_people_and_org_filters(book, capsys):
    other = make_org(rfc="EKU9003173C9", nombre="OTRA")
    assert cli.main(["simulate", "--until", "2026-12-31"]) == 0
    text = capsys.readouterr().out
    assert "30/11/2026" in text and "Mantenimiento noviembre 2026" in text
    assert "(Simulación: no se emitió nada.)" in text and "[pruebas]" in text
    assert simulate_json(capsys, "--org", str(other.pk))["count"] == 0
