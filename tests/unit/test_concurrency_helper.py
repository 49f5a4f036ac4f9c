"""The race helper fails when a racing thread outlives its join (issue 14 §4)."""

from __future__ import annotations

import threading

import pytest

from tests.concurrency import race


def test_race_returns_every_result_when_all_threads_finish():
    results, errors = race(lambda: 1, lambda: 2)

    assert sorted(results) == [1, 2] and errors == []


def test_race_fails_on_a_thread_still_alive_after_join():
    # given a target that hangs until released
    release = threading.Event()
    try:
        # when / then
        with pytest.raises(AssertionError, match="still running"):
            race(lambda: release.wait(5), lambda: None, timeout=0.2)
    finally:
        release.set()
