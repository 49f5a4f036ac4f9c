"""Schedule fixtures: build plans and schedules through the real services; step the issuer through time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import MX
from timbra.customers.models import Customer
from timbra.invoicing.inputs import LineInput
from timbra.orgs.models import Org
from timbra.schedules.inputs import PlanInput, ScheduleInput
from timbra.schedules.models import Plan, Schedule
from timbra.schedules.services.create_schedule import activate, create_schedule
from timbra.schedules.services.issue import IssueReport, issue_due_invoices
from timbra.schedules.services.plans import create_plan

ACTOR = "pruebas"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A CDMX wall-clock instant."""
    return datetime(year, month, day, hour, minute, tzinfo=MX)


def line(product_id: int | None = None, **fields: Any) -> LineInput:
    return LineInput(product_id=product_id, **fields)


def explicit_line(descripcion: str = "Mantenimiento {periodo}", price: str = "1000.00", **fields: Any) -> LineInput:
    return LineInput(descripcion=descripcion, unit_price=Decimal(price), clave_prod_serv="72101500",
                     clave_unidad="E48", unidad="Servicio", taxes=("IVA16",), **fields)


def make_schedule(org: Org, customer: Customer, *, as_of: datetime, activate_it: bool = True,
                  **fields: Any) -> Schedule:
    fields.setdefault("lines", None if fields.get("plan_id") else (explicit_line(),))
    schedule = create_schedule(org, ScheduleInput(customer_id=customer.pk, **fields), livemode=False,
                               as_of=as_of, actor=ACTOR)
    return activate(schedule, actor=ACTOR, as_of=as_of) if activate_it else schedule


def make_plan(org: Org, *, as_of: datetime, price: str = "500.00", **fields: Any) -> Plan:
    fields.setdefault("lines", (explicit_line("Mensualidad gimnasio {periodo}", price),))
    return create_plan(org, PlanInput(name=fields.pop("name", "Plan Gimnasio"), **fields), livemode=False,
                       as_of=as_of)


def instants(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    moment = start
    while moment <= end:
        yield moment
        moment += step


def run_daily(start: datetime, end: datetime, *, hour: int = 7) -> list[IssueReport]:
    """Run the issuer once a day at `hour` (CDMX), like a scheduler that never misses a day."""
    first = datetime.combine(start.astimezone(MX).date(), time(hour), MX)
    return [issue_due_invoices(as_of=moment) for moment in instants(first, end, timedelta(days=1))]


def refreshed(schedule: Schedule) -> Schedule:
    return Schedule.objects.select_related("org", "customer", "plan").get(pk=schedule.pk)


@pytest.fixture
def no_jobs(monkeypatch):
    """Nothing queued runs (the pipeline stays out of the way of what is being tested)."""
    from timbra import jobs

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
