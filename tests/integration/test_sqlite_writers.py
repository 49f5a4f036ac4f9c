"""Embedded SQLite: every write transaction passes the database's WriterGate and lets it go at
COMMIT or ROLLBACK (timbra.sqlite); the queue's storage passes its own."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
from django.db import connection, transaction

from tests.writer_gate import gate_is_free
from timbra.jobs.sqlite_queue import GatedSqliteStorage
from timbra.orgs.models import Org

pytestmark = pytest.mark.django_db(transaction=True)



@pytest.fixture
def database():
    if connection.settings_dict["ENGINE"] != "timbra.sqlite":
        pytest.skip("the writers' gate is the embedded SQLite backend's (PostgreSQL locks rows)")
    return str(connection.settings_dict["NAME"])


def test_a_write_transaction_holds_the_gate_until_commit(database):
    with transaction.atomic():
        assert not gate_is_free(database)
        Org.objects.filter(pk=-1).update(nombre="X")
    assert gate_is_free(database)


def test_a_rolled_back_transaction_lets_the_gate_go(database):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert not gate_is_free(database)
        raise RuntimeError("boom")
    assert gate_is_free(database)
    with transaction.atomic():  # and the next one gets in
        assert not gate_is_free(database)


def test_a_nested_atomic_block_does_not_take_it_twice(database):
    with transaction.atomic():
        with transaction.atomic():
            assert not gate_is_free(database)
        assert not gate_is_free(database)  # the savepoint's release is not the commit
    assert gate_is_free(database)


def test_a_closed_connection_lets_the_gate_go(database):
    connection.ensure_connection()
    connection._start_transaction_under_autocommit()  # what atomic() does on entry
    assert not gate_is_free(database)
    connection.close()
    assert gate_is_free(database)


def test_two_threads_writing_together_both_commit(database):
    """Each thread has its own connection and gate; the second waits and then commits."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def write(name: str) -> None:
        try:
            barrier.wait()
            for _ in range(20):
                with transaction.atomic():
                    Org.objects.filter(pk=-1).update(nombre=name)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert gate_is_free(database)


def test_the_queue_storage_round_trips_and_waits_for_its_gate(tmp_path):
    storage = GatedSqliteStorage(name="t", filename=str(tmp_path / "queue.sqlite3"))
    storage.enqueue(b"first")
    assert storage.dequeue() == b"first"
    assert storage.conn.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL: no fsync per job
    holder = os.open(f"{tmp_path / 'queue.sqlite3'}-writers.lock", os.O_RDWR)
    fcntl.flock(holder, fcntl.LOCK_EX)  # another process is writing the queue
    done = threading.Event()
    thread = threading.Thread(target=lambda: (storage.enqueue(b"second"), done.set()))
    thread.start()
    assert not done.wait(0.3), "the enqueue went ahead while another writer held the gate"
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    assert done.wait(5)
    thread.join(5)
    assert storage.dequeue() == b"second"
