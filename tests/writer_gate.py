"""Look at a database's WriterGate from outside (a fresh open file, as another process would)."""

from __future__ import annotations

import fcntl
import os


def gate_is_free(database: str) -> bool:
    """True if nobody holds the writers' gate of `database`."""
    fd = os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
