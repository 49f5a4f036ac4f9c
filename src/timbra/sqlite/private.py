"""SQLite files are private to their owner, like master.key (issue 14 §2).

The database and the queue hold customers' fiscal data, encrypted secrets' envelopes and API key
hashes; created by SQLite under a 022 umask they were world-readable (0644). SQLite creates a
database's `-wal` and `-shm` files with the database file's own permissions, so creating that
file 0600 first is enough for new installations; an existing file (and its companions) is
tightened on open.
"""

from __future__ import annotations

import os

COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private(path: str) -> None:
    """Create `path` empty with mode 0600 if missing; chmod it and its companions to 0600."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError:
        return  # SQLite will report what is wrong with the path
    for suffix in COMPANIONS:
        try:
            os.chmod(path + suffix, 0o600)
        except (FileNotFoundError, PermissionError):
            continue
