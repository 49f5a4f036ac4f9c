"""Time the pure schedule simulation: 10,000 schedules over one year (issue 4 budget: <= 10 s).

    python bench/simulate_schedules.py [N]        (N schedules, default 10000)

Schedules mix every frequency of issue 4, anchors on the 29th/30th/31st and elsewhere, issue times
inside Tijuana's DST gap and overlap, and the zones Mexico actually uses (CDMX, Tijuana with DST,
Cancún UTC-5, Hermosillo UTC-7, Ciudad Juárez, Matamoros). A fixed seed makes the mix repeatable.
Prints schedules, invoices simulated, wall clock and CPU seconds (process_time: what CI should assert).
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from timbra.domain.periods import Frequency, days_in_month  # noqa: E402
from timbra.domain.schedule_dates import Schedule, ScheduleRule, pause, resume, simulate, skip  # noqa: E402

CODES = (
    "weekly", "every_2_weeks", "monthly", "monthly", "monthly", "every_2_months", "quarterly",
    "every_6_months", "yearly", "every_n_days:10", "every_n_weeks:3", "every_n_months:4",
)  # fmt: skip
ZONES = (
    "America/Mexico_City", "America/Tijuana", "America/Cancun", "America/Hermosillo",
    "America/Ciudad_Juarez", "America/Matamoros",
)  # fmt: skip
TIMES = (clock(6, 0), clock(0, 0), clock(2, 30), clock(1, 30), clock(9, 15), clock(23, 59))
AFTER = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
UNTIL = datetime(2027, 11, 20, 16, 0, tzinfo=UTC)


def make_schedules(n: int, seed: int = 4) -> dict[int, Schedule]:
    rng = random.Random(seed)
    schedules = {}
    for schedule_id in range(n):
        day = rng.choice((29, 30, 31, 28, 1, 15, rng.randint(1, 28)))
        year = rng.choice((2024, 2025, 2026))
        month = rng.choice([m for m in range(1, 13) if day <= days_in_month(year, m)])
        rule = ScheduleRule(
            Frequency.parse(rng.choice(CODES)),
            anchor=date(year, month, day),
            cycles=rng.choice((None, None, None, 6, 12, 24)),
            issue_time=rng.choice(TIMES),
            timezone=rng.choice(ZONES),
        )
        schedule = Schedule.of(rule)
        if schedule_id % 10 == 0:  # some history: a skipped cycle and a two-month pause
            schedule = skip(schedule, schedule.first_index_due_after(AFTER) + 1)
            schedule = resume(
                pause(schedule, datetime(2027, 3, 1, tzinfo=UTC)), datetime(2027, 5, 1, tzinfo=UTC)
            )
        schedules[schedule_id] = schedule
    return schedules


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    schedules = make_schedules(n)
    wall, cpu = time.perf_counter(), time.process_time()
    runs = simulate(schedules, UNTIL, after=AFTER)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"schedules: {n:,}  invoices simulated: {len(runs):,}  window: {AFTER:%Y-%m-%d} .. {UNTIL:%Y-%m-%d}"
    )
    print(f"simulate: {wall:.2f} s wall, {cpu:.2f} s CPU (budget 10 s)")
    labels = time.perf_counter()
    for run in runs:  # what a preview also pays for: the Spanish period names
        _ = run.period.label, run.period.key
    print(f"labels + keys for every run: {time.perf_counter() - labels:.2f} s")


if __name__ == "__main__":
    main()
