"""`timbra serve` (what `make run` starts): web + embedded worker, an invoice over HTTP, clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import Timbra

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, key: str, body: dict[str, object] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                     method="POST" if body else "GET",
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                              "Idempotency-Key": "serve-test-1"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().split("\0")


def _descendants(root: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def test_serve_issues_an_invoice_over_http_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    timbra = Timbra(tmp_path, {"PORT": str(port)})
    server = timbra.popen("serve", "--demo")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _call(f"{base}/healthz", "")[0] == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "serve did not answer"
                time.sleep(0.3)
        demo = json.loads((tmp_path / "demo.json").read_text())
        key = demo["api_key"]
        status, body = _call(f"{base}/api/v1/invoices", key, {
            "customer_id": demo["customer_id"], "forma_pago": "04",
            "lines": [{"product_id": demo["product_id"], "cantidad": "2"}]})
        assert status == 202
        invoice_id = json.loads(body)["id"]
        deadline = time.monotonic() + 60
        while (invoice := json.loads(_call(f"{base}/api/v1/invoices/{invoice_id}", key)[1]))["status"] != "delivered":
            assert time.monotonic() < deadline, invoice
            time.sleep(0.3)
        assert invoice["uuid"] and invoice["total"] == "2317.68"
        status, pdf = _call(f"{base}/api/v1/invoices/{invoice_id}/pdf", key)
        assert status == 200 and pdf.startswith(b"%PDF")
        assert list((tmp_path / "outbox").glob("*.eml"))
        # The queue's worker processes run as background work (SCHED_BATCH); the web does not.
        # The whole command line: with setproctitle installed (mutmut brings it) gunicorn renames its
        # processes "gunicorn: master [...]", one string without the interpreter's arguments.
        policies = {" ".join(_cmdline(pid)).strip("\0 "): os.sched_getscheduler(pid) for pid in _descendants(server.pid)}
        assert {p for cmd, p in policies.items() if "gunicorn" in cmd} == {os.SCHED_OTHER}, policies
        assert os.sched_getscheduler(server.pid) == os.SCHED_BATCH
        assert {p for cmd, p in policies.items() if "gunicorn" not in cmd} == {os.SCHED_BATCH}, policies
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Timbra detenido." in output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{base}/healthz", timeout=2)
