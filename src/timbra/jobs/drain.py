"""Run queued jobs in this process until nothing is left (`timbra worker --drain`)."""

from __future__ import annotations

import time

from timbra import jobs


def drain(*, idle_seconds: float = 2.0, max_seconds: float = 3600.0) -> int:
    """Execute pending tasks (and scheduled ones as they come due) until the queue has been
    empty for `idle_seconds`. Returns how many tasks ran. Jobs scheduled further ahead than
    `idle_seconds` (long PAC backoffs) stay queued for a regular worker or a later drain."""
    huey = jobs.queue()
    ran = 0
    idle_since: float | None = None
    deadline = time.monotonic() + max_seconds
    next_schedule_read = 0.0
    while time.monotonic() < deadline:
        if time.monotonic() >= next_schedule_read:  # a write transaction: not on every loop
            for task in huey.read_schedule():
                huey.enqueue(task)
            next_schedule_read = time.monotonic() + 0.5
        task = huey.dequeue()
        if task is not None:
            huey.execute(task)
            ran += 1
            idle_since = None
            continue
        now = time.monotonic()
        idle_since = idle_since or now
        if now - idle_since >= idle_seconds:
            break
        time.sleep(0.05)
    return ran
