"""Huey's SQLite queue (embedded mode), with its writers queued on a `WriterGate`.

Web threads enqueue and worker processes dequeue, each in a short exclusive transaction; in
Huey's own storage a collision sleeps in SQLite's busy handler (see `timbra.sqlite.gate`).
Here the storage's own lock, which Huey takes around every statement, also passes the gate.
`synchronous=NORMAL` (WAL): a commit is not fsynced, so a power cut can lose the newest queue
rows but never corrupts the file; the database is the truth and the sweeper re-enqueues
whatever a lost job would have done.
"""

from __future__ import annotations

import threading
from typing import Any

from huey import SqliteHuey
from huey.storage import SqliteStorage

from timbra.sqlite.gate import WriterGate
from timbra.sqlite.private import make_private


class _ThreadsThenProcesses:
    """Huey's per-storage thread lock, then the gate (one open file per process, shared by its
    threads: the thread lock keeps them from both believing they hold it)."""

    def __init__(self, database_path: str) -> None:
        self._threads = threading.Lock()
        self._gate = WriterGate(database_path)

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            self._gate.acquire()
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self._gate.release()
        finally:
            self._threads.release()


class GatedSqliteStorage(SqliteStorage):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = _ThreadsThenProcesses(self.filename)

    def _create_connection(self) -> Any:
        make_private(self.filename)  # the queue's file, -wal and -shm: 0600 (issue 14 §2)
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


class GatedSqliteHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = GatedSqliteStorage
