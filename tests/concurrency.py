"""Run callables at the same instant on real threads (each with its own DB connection)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(*targets: Callable[[], Any], timeout: float = 120) -> tuple[list[Any], list[BaseException]]:
    """Start every target together behind a barrier; return (results, errors) once all finish."""
    barrier = threading.Barrier(len(targets))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(target: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(target())
        except BaseException as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    alive = [thread for thread in threads if thread.is_alive()]
    # A thread still running after its join timed out is a hang (a deadlock, a lock never released):
    # the race proved nothing, and its late writes would leak into the next test (issue 14 §4).
    assert not alive, f"{len(alive)} of {len(threads)} racing threads still running after {timeout} s"
    return results, errors
