"""The periodic jobs run, and each does its work (issue 14 §4: running them and asserting nothing
would not notice a job that stopped calling its service). The sweeper is checked end to end;
every other periodic job is checked to call its services once, with the clock's now."""

from datetime import timedelta

import pytest
import time_machine

from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.jobs import tasks

pytestmark = pytest.mark.django_db


PERIODIC = sorted(name for name, task in tasks.REGISTRY.items()
                  if hasattr(task.task_class, "validate_datetime"))

# Each periodic job and the services it must call (module, function).
SERVICES = {
    "invoicing.sweep": [("timbra.invoicing.sweep", "sweep_stuck_work"),
                        ("timbra.payments.services.sweep_events", "requeue_stuck_events"),
                        ("timbra.payments.services.refunds", "requeue_ready_refunds")],
    "payments.reconcile": [("timbra.payments.services.reconcile", "reconcile_all")],
    "schedules.issue_due": [("timbra.schedules.services.issue", "issue_due_invoices"),
                            ("timbra.schedules.services.notify_held", "notify_held_invoices")],
    "orgs.csd_expiry": [("timbra.orgs.expiry", "warn_expiring_csds")],
    "receivables.rep_alerts": [("timbra.receivables.services.alert_due_reps", "alert_due_reps")],
    "notices.send_due": [("timbra.notices.services", "send_due_notices")],
    "globalinvoice.issue_due": [("timbra.globalinvoice.services.issue", "issue_due_global_invoices"),
                                ("timbra.globalinvoice.services.rate_limit", "forget_before")],
    "portal.chase": [("timbra.portal.services.chase", "send_due_reminders")],
    "invoicing.sat_status": [("timbra.invoicing.sat_check", "check_recent")],
}


def test_the_sweeper_and_the_other_periodic_jobs_are_registered():
    assert "invoicing.sweep" in PERIODIC and len(PERIODIC) >= 3
    assert sorted(SERVICES) == PERIODIC  # a new periodic job gets its line here


@pytest.mark.parametrize("name", PERIODIC)
def test_every_periodic_job_runs_on_an_empty_installation(name):
    tasks.REGISTRY[name].call_local()


class _Result:
    """Whatever a service returns, enough for the job's logging."""

    issued = failed = recovered = error = 0

    def __bool__(self) -> bool:
        return False

    def values(self):
        return []


@pytest.mark.parametrize("name", PERIODIC)
def test_every_periodic_job_calls_its_services_with_now(name, monkeypatch):
    # given the services the job must call, recorded
    import importlib

    calls: list[tuple[str, object]] = []
    for module, function in SERVICES[name]:
        def spy(*args, _function=function, **kwargs):
            calls.append((_function, kwargs.get("as_of", args[0] if args else None)))
            if _function == "sweep_stuck_work":
                return {"draft": 0}
            return 0 if _function in ("requeue_stuck_events", "requeue_ready_refunds") else _Result()

        monkeypatch.setattr(importlib.import_module(module), function, spy)
    # when the job runs at a known time
    with time_machine.travel(NOW, tick=False):
        tasks.REGISTRY[name].call_local()
    # then each service ran once, at that time
    assert sorted(f for f, _ in calls) == sorted(f for _, f in SERVICES[name])
    assert all(at == NOW for _, at in calls)


def test_the_sweep_job_issues_a_draft_whose_job_was_lost(monkeypatch):
    # given a draft whose "invoicing.process" job vanished
    with time_machine.travel(NOW, tick=False):
        org = make_org()
        with monkeypatch.context() as patch:
            patch.setattr(jobs, "enqueue", lambda *a, **k: None)
            invoice = make_invoice(org, make_customer(org), product=make_product(org))
    # when the periodic sweep runs three minutes later (immediate queue in tests)
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        tasks.REGISTRY["invoicing.sweep"].call_local()
    # then it was issued and delivered
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DELIVERED
