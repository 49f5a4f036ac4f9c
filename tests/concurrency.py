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
    return results, errors
