"""The SQLite database and queue files, with their -wal and -shm, are 0600 (issue 14 §2)."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from django.db import connection

from timbra.jobs.sqlite_queue import GatedSqliteHuey
from timbra.sqlite.private import make_private


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path):
    # given a umask that would make them world-readable
    old = os.umask(0o022)
    try:
        path = str(tmp_path / "timbra.sqlite3")
        # when the file is made private, then SQLite opens it in WAL mode and writes
        make_private(path)
        db = sqlite3.connect(path)
        db.execute("pragma journal_mode=wal")
        db.execute("create table t (x)")
        db.execute("insert into t values (1)")
        db.commit()
        # then every file SQLite made is 0600
        for suffix in ("", "-wal", "-shm"):
            assert _mode(path + suffix) == 0o600, suffix
        db.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_tightened_on_open(tmp_path):
    path = str(tmp_path / "viejo.sqlite3")
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)

    make_private(path)

    assert _mode(path) == 0o600


def test_the_embedded_queue_file_is_private(tmp_path):
    old = os.umask(0o022)
    try:
        huey = GatedSqliteHuey("prueba", filename=str(tmp_path / "queue.sqlite3"))
        huey.storage.enqueue(b"tarea")
        assert huey.storage.queue_size() == 1
        for name in os.listdir(tmp_path):
            if name.startswith("queue.sqlite3") and not name.endswith(".gate"):
                assert _mode(str(tmp_path / name)) == 0o600, name
    finally:
        os.umask(old)


@pytest.mark.django_db
def test_the_django_database_file_is_private():
    if connection.vendor != "sqlite":
        pytest.skip("a PostgreSQL database has no file here")
    connection.ensure_connection()
    path = str(connection.settings_dict["NAME"])
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            assert _mode(path + suffix) == 0o600, suffix
