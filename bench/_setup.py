"""Shared bench plumbing: a throw-away Timbra installation and its processes."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fresh_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = tempfile.mkdtemp(prefix="timbra-bench-")
    env = {**os.environ, "TIMBRA_HOME": home, "DJANGO_SETTINGS_MODULE": "timbra.settings", **(extra or {})}
    env.pop("TIMBRA_QUEUE_IMMEDIATE", None)
    return env


def timbra(env: dict[str, str], *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "timbra", *args], env=env, check=True, text=True,
                          capture_output=True, **kwargs)  # type: ignore[call-overload]


def spawn(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    log = open(Path(env["TIMBRA_HOME"]) / f"{args[0]}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "timbra", *args], env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(*procs: subprocess.Popen[bytes]) -> None:
    """Terminate the processes (gracefully: they finish their current request or job), killing
    any that has not exited after 20 s."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def demo(env: dict[str, str]) -> dict[str, object]:
    timbra(env, "init", "--demo")
    return json.loads((Path(env["TIMBRA_HOME"]) / "demo.json").read_text())


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
