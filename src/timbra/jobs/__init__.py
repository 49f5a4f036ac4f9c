"""The job port: the only package that imports Huey.

Services enqueue work BY NAME (`enqueue("invoicing.process", invoice_id=1)`), so they never
import task modules. Jobs take ids, re-read state and are idempotent: Huey deletes a task
when a worker takes it, so the database is the truth and a sweeper re-enqueues stuck work.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def _registry() -> dict[str, Any]:
    from timbra.jobs import tasks  # late: tasks import services, which import this module

    return tasks.REGISTRY


def enqueue(name: str, *, delay: float | None = None, **kwargs: Any) -> None:
    """Queue job `name` now (or after `delay` seconds)."""
    task = _registry()[name]
    if delay and delay > 0:
        task.schedule(kwargs=kwargs, delay=delay)
    else:
        task(**kwargs)


def enqueue_on_commit(name: str, *, delay: float | None = None, **kwargs: Any) -> None:
    """Queue job `name` once the surrounding transaction commits (never for rolled-back work)."""
    transaction.on_commit(lambda: enqueue(name, delay=delay, **kwargs))


def queue() -> Any:
    """The configured Huey instance (for the CLI's worker and health checks)."""
    from huey.contrib.djhuey import HUEY

    _registry()  # a consumer must know every task before it dequeues one
    return HUEY
