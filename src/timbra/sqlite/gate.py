"""A kernel lock that SQLite writers queue on, instead of SQLite's busy sleep.

SQLite lets one writer in at a time. A writer that finds the database locked sleeps in SQLite's
busy handler (1, 2, 5, 10, 15 … 100 ms) and then looks again, so when web threads and worker
processes write together, a core sits idle long after the lock is free: a write transaction
here lasts a millisecond or two. Writers that first take an exclusive `flock` on a file beside
the database are woken by the kernel the moment the holder lets go. The kernel also drops the
lock of a process that dies, so a crash never leaves it held. SQLite's own locking still guards
the data (and still covers any writer that skips the gate); the gate only orders who asks first.
"""

from __future__ import annotations

import fcntl
import os


class WriterGate:
    """One holder at a time across processes, and across threads when each has its own gate.

    The open file is per process: a forked child would otherwise share its parent's, and with it
    the parent's flock, so the two would both hold the gate at once."""

    def __init__(self, database_path: str) -> None:
        self.database = database_path
        self.path = f"{database_path}-writers.lock"
        self._fd: int | None = None
        self._pid = 0
        self.held = False

    def acquire(self) -> None:
        if self._fd is None or self._pid != os.getpid():
            if self._fd is not None:
                os.close(self._fd)  # the parent's copy: closing it here leaves the parent's lock alone
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid, self.held = os.getpid(), False
        if not self.held:
            fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks, GIL released, until the holder lets go
            self.held = True

    def release(self) -> None:
        if self.held and self._fd is not None and self._pid == os.getpid():
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)
