"""gunicorn's access log, as `timbra serve` runs it, never shows a webhook token (issue 14 §2)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.error import HTTPError

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_access_log_redacts_the_webhook_token(tmp_path):
    # given gunicorn serving timbra with its access log on stdout, like `timbra serve`
    env = {**os.environ, "TIMBRA_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "timbra.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "timbra.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--access-logfile", "-", "--error-logfile", "-"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        # when a webhook (with an unknown token) and an API call with a key in the query arrive
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except (OSError, HTTPError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for path in ("/hooks/stripe/TokenSecreto123", "/api/v1/org?key=sk_live_ClaveSecreta9"):
            try:
                urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=b"{}"),
                                       timeout=5)
            except HTTPError:
                pass
    finally:
        server.terminate()
        output = server.communicate(timeout=15)[0]
    # then the log has both requests, and neither secret
    assert "/hooks/stripe/[redactado]" in output and "sk_live_[redactado]" in output, output[-2000:]
    assert "TokenSecreto123" not in output and "ClaveSecreta9" not in output
