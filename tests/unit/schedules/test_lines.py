"""A cycle's lines: stored JSON, plan versions by due instant, overrides, and the invoice request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from timbra.domain import schedule_dates as sd
from timbra.domain.periods import Frequency
from timbra.invoicing.inputs import LineInput
from timbra.schedules.lines import (
    LineOverride,
    apply_overrides,
    invoice_request,
    line_from_json,
    line_to_json,
    override_to_json,
    plan_lines_at,
    version_for,
)
from timbra.schedules.models import Plan, Schedule

RENTA = LineInput(descripcion="Renta {periodo}", cantidad=Decimal(1), unit_price=Decimal("10000.00"),
                  clave_prod_serv="80131500", clave_unidad="E48", taxes=("IVA16", "RET_IVA_2_3", "RET_ISR_10"))
OCCURRENCE = sd.Schedule.of(sd.ScheduleRule(Frequency.parse("monthly"), anchor=date(2026, 12, 1))).at(0)


def stored(price: str) -> dict:
    return line_to_json(LineInput(descripcion="Cuota {periodo}", unit_price=Decimal(price), product_id=7))


def test_a_line_survives_json_with_exact_decimals_and_tuples():
    data = line_to_json(RENTA)
    assert data["unit_price"] == "10000.00" and data["taxes"] == ["IVA16", "RET_IVA_2_3", "RET_ISR_10"]
    assert line_from_json(data) == RENTA


def test_the_plan_version_in_force_when_the_cycle_is_due_is_used():
    plan = Plan(versions=[{"at": "2026-11-01T00:00:00+00:00", "lines": [stored("500")]},
                          {"at": "2026-12-10T00:00:00+00:00", "lines": [stored("600")]}])
    assert plan_lines_at(plan, datetime(2026, 12, 1, tzinfo=UTC))[0]["unit_price"] == "500"
    assert plan_lines_at(plan, datetime(2027, 1, 1, tzinfo=UTC))[0]["unit_price"] == "600"
    assert plan_lines_at(plan, datetime(2026, 1, 1, tzinfo=UTC))[0]["unit_price"] == "500"  # before the plan


def test_overrides_replace_only_what_they_name():
    lines = [stored("500"), stored("100")]
    result = apply_overrides(lines, [override_to_json(LineOverride(2, cantidad=Decimal(3)))])
    assert [(r["unit_price"], r["cantidad"]) for r in result] == [("500", "1"), ("100", "3")]
    assert lines[1]["cantidad"] == "1"  # the plan's lines are not modified


def test_the_line_version_governing_a_cycle_is_the_last_one_started():
    versions = [{"from": 0, "lines": ["a"]}, {"from": 4, "lines": ["b"]}, {"from": 9, "lines": ["c"]}]
    assert [version_for(versions, n)["lines"] for n in (0, 3, 4, 8, 9, 50)] == [["a"], ["a"], ["b"], ["b"],
                                                                                ["c"], ["c"]]


def test_the_invoice_request_is_ppd_99_by_default_with_the_period_in_the_description():
    schedule = Schedule(pk=12, customer_id=3, line_versions=[{"from": 0, "lines": [line_to_json(RENTA)]}],
                        moneda="MXN", forma_pago="99")
    request = invoice_request(schedule, OCCURRENCE)
    assert (request.metodo_pago, request.forma_pago) == ("PPD", None)  # create_invoice sets 99 for PPD
    assert (request.source, request.source_id) == ("schedule", "12:2026-12")
    assert request.lines[0].descripcion == "Renta diciembre 2026"


def test_a_prepaid_schedule_requests_pue_with_its_forma_de_pago():
    schedule = Schedule(pk=12, customer_id=3, line_versions=[{"from": 0, "lines": [line_to_json(RENTA)]}],
                        moneda="MXN", prepaid=True, forma_pago="04", uso_cfdi="G03", serie="R")
    request = invoice_request(schedule, OCCURRENCE)
    assert (request.metodo_pago, request.forma_pago, request.uso_cfdi, request.serie) == ("PUE", "04", "G03", "R")
