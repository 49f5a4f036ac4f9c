"""WriterGate: one holder at a time, across threads (own gates) and processes (forked too)."""

from __future__ import annotations

import os
import threading
import time

from tests.writer_gate import gate_is_free
from timbra.sqlite.gate import WriterGate


def test_a_second_gate_waits_until_the_first_lets_go(tmp_path):
    db = str(tmp_path / "timbra.sqlite3")
    first, second = WriterGate(db), WriterGate(db)
    first.acquire()
    entered = threading.Event()

    def other() -> None:
        second.acquire()
        entered.set()
        second.release()

    thread = threading.Thread(target=other)
    thread.start()
    assert not entered.wait(0.3), "the second writer got in while the first held the gate"
    first.release()
    assert entered.wait(5), "the second writer was not woken when the gate opened"
    thread.join(5)
    assert gate_is_free(db)


def test_acquire_twice_is_one_hold_and_release_without_hold_is_harmless(tmp_path):
    db = str(tmp_path / "timbra.sqlite3")
    gate = WriterGate(db)
    gate.release()
    gate.acquire()
    gate.acquire()
    assert gate.held and not gate_is_free(db)
    gate.release()
    assert not gate.held and gate_is_free(db)


def test_a_forked_child_does_not_inherit_its_parents_hold(tmp_path):
    """A child shares its parent's open files; with them it would share the parent's flock and
    both would write at once. The gate reopens its file in the child, so the child waits."""
    db = str(tmp_path / "timbra.sqlite3")
    gate = WriterGate(db)
    gate.acquire()
    marker = tmp_path / "child-entered"
    pid = os.fork()
    if pid == 0:  # the child: must wait for the parent
        try:
            gate.acquire()
            marker.write_text(str(time.monotonic()))
            gate.release()
        finally:
            os._exit(0)
    time.sleep(0.3)
    assert not marker.exists(), "the child got in while the parent held the gate"
    gate.release()
    os.waitpid(pid, 0)
    assert marker.exists()


def test_a_dead_holder_leaves_the_gate_open(tmp_path):
    db = str(tmp_path / "timbra.sqlite3")
    pid = os.fork()
    if pid == 0:
        WriterGate(db).acquire()
        os._exit(0)  # dies holding it
    os.waitpid(pid, 0)
    assert gate_is_free(db)
