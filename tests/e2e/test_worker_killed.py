"""A worker process killed (SIGKILL) after the PAC stamped but before the commit: on restart the
same UUID is recovered from the PAC, never a second CFDI (reliability.md §2.1 F3)."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.e2e.conftest import TIMBRA, Timbra
from tests.e2e.test_real_consumers import CREATE

pytestmark = pytest.mark.slow

STATE = """
import json
from timbra.invoicing.models import Invoice
from timbra.sandbox.models import SandboxStamp
i = Invoice.objects.get()
print(json.dumps({"status": i.status, "uuid": i.uuid, "attempts": i.stamp_attempts,
                  "ledger": list(SandboxStamp.objects.values_list("uuid", flat=True))}))
"""

SWEEP_LATER = """
from datetime import timedelta
from django.utils import timezone
from timbra.invoicing.sweep import sweep_stuck_work
print(sweep_stuck_work(as_of=timezone.now() + timedelta(minutes=5)))
"""


def _state(timbra: Timbra) -> dict[str, object]:
    return json.loads(timbra.python(STATE).strip().splitlines()[-1])


def test_a_worker_killed_between_the_pac_answer_and_the_commit_recovers_the_same_uuid(tmp_path):
    timbra = Timbra(tmp_path, {})
    timbra.run("init", "--demo")
    timbra.python(CREATE.format(home=tmp_path, n=1))
    # when the worker dies right after the sandbox PAC stamped
    crashed = subprocess.run([*TIMBRA, "worker", "--drain"], capture_output=True, text=True, timeout=120,
                             env={**timbra.env, "TIMBRA_SANDBOX_FAULTS": "kill_after_stamp"})
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr
    after_crash = _state(timbra)
    assert after_crash["status"] == "sealed" and after_crash["uuid"] is None
    assert len(after_crash["ledger"]) == 1  # the PAC did stamp it
    # then the sweeper finds it and a healthy worker finishes it with the PAC's UUID
    timbra.python(SWEEP_LATER)
    timbra.run("worker", "--drain", "--idle", "1")
    healed = _state(timbra)
    assert healed["status"] == "delivered"
    assert healed["ledger"] == [healed["uuid"]]
