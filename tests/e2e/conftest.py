"""End-to-end fixtures: real `timbra` processes on a private TIMBRA_HOME, real queues."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_URL = os.environ.get("TIMBRA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TIMBRA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TIMBRA = [sys.executable, "-m", "timbra"]


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def require(service: str, port: int) -> None:
    if os.environ.get(f"TIMBRA_TEST_NO_{service.upper()}") or not answers("127.0.0.1", port):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{service} is required under CI and does not answer on 127.0.0.1:{port}")
        pytest.skip(f"{service} does not answer on 127.0.0.1:{port}")


class Timbra:
    """Runs `timbra …` and Django shell snippets against one installation."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = {**os.environ, "TIMBRA_HOME": str(home), "DJANGO_SETTINGS_MODULE": "timbra.settings", **env}
        self.env.pop("TIMBRA_QUEUE_IMMEDIATE", None)

    def run(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([*TIMBRA, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def python(self, code: str, timeout: float = 180) -> str:
        return self.run("manage", "shell", "-c", code, timeout=timeout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*TIMBRA, *args], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    require("pg", 5432)
    import psycopg

    name = f"timbra_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
