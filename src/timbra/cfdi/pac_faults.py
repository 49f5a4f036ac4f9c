"""A PAC wrapper that misbehaves on purpose, for the fault-injection tests (reliability.md §2.1).

`FaultyPac(inner, plan)` sits behind the same `Pac` protocol as any adapter, so the code under test
cannot tell it apart from a flaky network. Each `stamp` call takes the next fault from the plan; when
the plan is used up, calls go straight through. Faults are honest about what happened at the PAC:

* `Fault.UNAVAILABLE`: connection refused before anything reached the PAC (F1). Nothing stamped.
* `Fault.LOST_BEFORE_SEND`: the request timed out before the PAC got it. `PacOutcomeUnknown`, and
  `recover` will say None: the caller may only learn that by asking.
* `Fault.LOST_AFTER_STAMP`: the PAC stamped (it is in its ledger) and the answer was lost (F2/F3).
  `PacOutcomeUnknown`; a retry of the same bytes gets the original UUID, `recover` finds it.
* `Fault.KILL_AFTER_STAMP`: the PAC stamped, then this very process dies with SIGKILL before it
  can record anything (F3: a worker killed between the PAC's answer and the commit).
* `Fault.NONE`: this call goes through untouched.

`from_env(inner, value)` builds one from a comma-separated list of fault names (the value of
TIMBRA_SANDBOX_FAULTS), so an end-to-end test can make a real worker process misbehave.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from enum import Enum

from timbra.cfdi.pac import Pac, PacOutcomeUnknown, PacUnavailable, StampResult


class Fault(Enum):
    NONE = "none"
    UNAVAILABLE = "unavailable"
    LOST_BEFORE_SEND = "lost_before_send"
    LOST_AFTER_STAMP = "lost_after_stamp"
    KILL_AFTER_STAMP = "kill_after_stamp"


class FaultyPac:
    """Wraps a PAC and injects the planned faults, one per `stamp` call, in order.

    `delay_seconds` is slept (with the injected `sleep`) before every call, stamp or recover, to model a
    slow PAC. `recover_unavailable` makes the next N `recover` calls raise `PacUnavailable`.
    `stamp_calls` and `faults_injected` let tests assert how the caller behaved.
    """

    def __init__(
        self,
        inner: Pac,
        plan: Iterable[Fault] = (),
        *,
        delay_seconds: float = 0.0,
        recover_unavailable: int = 0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.is_sandbox = inner.is_sandbox
        self._plan: deque[Fault] = deque(plan)
        self._recover_unavailable = recover_unavailable
        self._delay = delay_seconds
        self._sleep = sleep
        self._lock = threading.Lock()
        self.stamp_calls = 0
        self.faults_injected: list[Fault] = []

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Stamp through the inner PAC, unless the plan says this call fails."""
        self._wait()
        fault = self._next_fault()
        if fault is Fault.UNAVAILABLE:
            raise PacUnavailable("Conexión rechazada por el PAC (falla simulada).")
        if fault is Fault.LOST_BEFORE_SEND:
            raise PacOutcomeUnknown(
                "Tiempo de espera agotado antes de que el PAC recibiera la solicitud (falla simulada)."
            )
        result = self.inner.stamp(signed_xml)
        if fault is Fault.KILL_AFTER_STAMP:
            os.kill(os.getpid(), signal.SIGKILL)
        if fault is Fault.LOST_AFTER_STAMP:
            raise PacOutcomeUnknown("Tiempo de espera agotado: el PAC pudo haber timbrado (falla simulada).")
        return result

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """Ask the inner PAC, unless a recover outage is still planned."""
        self._wait()
        with self._lock:
            if self._recover_unavailable > 0:
                self._recover_unavailable -= 1
                raise PacUnavailable("El servicio de recuperación del PAC no responde (falla simulada).")
        return self.inner.recover(signed_xml)

    def _next_fault(self) -> Fault:
        with self._lock:
            self.stamp_calls += 1
            fault = self._plan.popleft() if self._plan else Fault.NONE
            if fault is not Fault.NONE:
                self.faults_injected.append(fault)
            return fault

    def _wait(self) -> None:
        if self._delay > 0:
            self._sleep(self._delay)


def from_env(inner: Pac, value: str) -> FaultyPac:
    """A FaultyPac whose plan is `value`, e.g. "kill_after_stamp" or "unavailable,unavailable"."""
    return FaultyPac(inner, [Fault(name.strip()) for name in value.split(",") if name.strip()])
