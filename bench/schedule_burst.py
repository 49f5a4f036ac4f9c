"""N schedules due the same morning, issued end to end: zero duplicates, zero missing.

    python bench/schedule_burst.py [N]        (default 10000)

On a fresh embedded installation (`timbra init --demo`: SQLite, sandbox PAC, email outbox), N
members of one monthly plan (the demo customer and product), all due this morning between 00:00
and 05:59 local, are created through the real services (not timed). Then, timed:
1. `issue_due_invoices` (one process, as the five-minute job would) creates the N invoices;
2. two `timbra worker --drain` processes seal, stamp, render and email them.
Prints invoices/s for each phase and end to end, then checks every invoice by its business key
(source_id): duplicates must be 0 and missing must be 0. A second pass of the issuer proves it
issues nothing more.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time as clock
from datetime import datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, demo, fresh_env  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))

DRAIN_WORKERS = 2


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def burst_day(now: datetime, tz_name: str) -> datetime:
    """Local midnight of the morning the burst is due: today, or yesterday before 06:00."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(tz_name))
    day = local.date() if local.time() >= time(6) else local.date() - timedelta(days=1)
    return datetime.combine(day, time(0), ZoneInfo(tz_name))


def create_schedules(n: int, info: dict[str, object]) -> tuple[datetime, float]:
    """N plan members due between 00:00 and 05:59 of the burst day, through the services."""
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from timbra import jobs
    from timbra.invoicing.inputs import LineInput
    from timbra.orgs.models import Org
    from timbra.schedules.inputs import PlanInput, ScheduleInput
    from timbra.schedules.lines import LineOverride
    from timbra.schedules.services.create_schedule import activate, create_schedule
    from timbra.schedules.services.plans import create_plan

    org = Org.objects.get(pk=info["org_id"])
    morning = burst_day(timezone.now(), org.timezone)
    created = morning - timedelta(hours=1)  # before anything is due: activation issues nothing
    start = clock.perf_counter()
    enqueue_on_commit, jobs.enqueue_on_commit = jobs.enqueue_on_commit, lambda *a, **k: None  # type: ignore[assignment]
    with transaction.atomic():
        plan = create_plan(org, PlanInput(name="Plan mensual", lines=(LineInput(product_id=int(info["product_id"])),)),
                           livemode=False, as_of=created)
        for i in range(n):
            request = ScheduleInput(
                customer_id=int(info["customer_id"]), plan_id=plan.pk, anchor_date=morning.date(),
                start_date=morning.date(), issue_time=time(hour=(i % 360) // 60, minute=i % 60),
                overrides=(LineOverride(1, unit_price=Decimal(500 + i % 500)),) if i % 3 == 0 else (),
            )
            activate(create_schedule(org, request, livemode=False, as_of=created, actor="bench"),
                     actor="bench", as_of=created)
    # Activation's on-demand issue jobs are left out: nothing was due then, and the burst is the test.
    jobs.enqueue_on_commit = enqueue_on_commit  # type: ignore[assignment]
    return morning, clock.perf_counter() - start


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    from timbra.invoicing.models import Invoice

    return dict(Invoice.objects.filter(source="schedule").values_list("status").annotate(n=Count("id")))


def drain(env: dict[str, str], n: int) -> tuple[float, dict[str, int]]:
    """Two drain workers; the clock stops when all N invoices are delivered or held."""
    from django.db import connections

    connections.close_all()
    home = Path(env["TIMBRA_HOME"])
    workers = [subprocess.Popen([sys.executable, "-m", "timbra", "worker", "--drain", "--idle", "3"], env=env,
                                stdout=open(home / f"drain-{k}.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
               for k in range(DRAIN_WORKERS)]
    start = clock.perf_counter()
    counts: dict[str, int] = {}
    while clock.perf_counter() - start < max(600, n):
        counts = status_counts()
        if counts.get("delivered", 0) + counts.get("held", 0) >= n:
            break
        if all(w.poll() is not None for w in workers):
            counts = status_counts()
            break
        clock.sleep(0.25)
    elapsed = clock.perf_counter() - start
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    return elapsed, counts


def check(n: int, morning: datetime) -> tuple[int, int]:
    """Duplicates: a business key (source_id) seen more than once. Missing: a schedule without
    the invoice of this morning's period."""
    from django.db.models import Count

    from timbra.invoicing.models import Invoice
    from timbra.schedules.models import Schedule

    rows = Invoice.objects.filter(source="schedule")
    duplicates = rows.values("source_id").annotate(k=Count("id")).filter(k__gt=1).count()
    key = f"{morning:%Y-%m}"
    have = set(rows.filter(source_id__endswith=f":{key}").values_list("source_id", flat=True))
    missing = sum(1 for pk in Schedule.objects.values_list("pk", flat=True) if f"{pk}:{key}" not in have)
    return duplicates, missing


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    env = fresh_env()
    info = demo(env)
    setup_django(env)
    from django.utils import timezone

    from timbra.schedules.services.issue import issue_due_invoices

    morning, setup_seconds = create_schedules(n, info)
    print(f"== schedule burst: {n:,} schedules due the morning of {morning:%Y-%m-%d}, embedded (SQLite) ==")
    print(f"setup (not timed): {n:,} × create_schedule + activate in {setup_seconds:.1f} s")

    start = clock.perf_counter()
    report = issue_due_invoices(as_of=timezone.now())
    issued_seconds = clock.perf_counter() - start
    print(f"issue_due_invoices: {report.issued:,} invoices in {issued_seconds:.1f} s = "
          f"{report.issued / issued_seconds:.0f} invoices/s (failed: {len(report.failed)})")
    again = clock.perf_counter()
    second = issue_due_invoices(as_of=timezone.now())
    print(f"second pass: {second.issued} issued, {second.schedules} schedules due, {clock.perf_counter() - again:.2f} s")

    drain_seconds, counts = drain(env, n)
    total = issued_seconds + drain_seconds
    print(f"drain ({DRAIN_WORKERS} × timbra worker --drain: seal, stamp, PDF, email): {drain_seconds:.1f} s = "
          f"{n / drain_seconds:.1f} invoices/s")
    print(f"end to end (issue → emailed PDF): {total:.1f} s = {n / total:.1f} invoices/s")
    print(f"final states: {counts}")
    duplicates, missing = check(n, morning)
    print(f"duplicates (source_id seen twice): {duplicates}   missing (schedule without its invoice): {missing}")
    if duplicates or missing or counts.get("delivered", 0) != n:
        sys.exit(1)


if __name__ == "__main__":
    main()
