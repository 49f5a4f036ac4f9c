"""FaultyPac: the PAC failures of reliability.md §2.1, behind the same Pac protocol."""

from __future__ import annotations

import pytest

from timbra.cfdi.pac import Pac, PacOutcomeUnknown, PacUnavailable
from timbra.cfdi.pac_faults import Fault, FaultyPac
from timbra.cfdi.sandbox_pac import SandboxPac
from timbra.sandbox.ledger import InMemoryLedger

from .cfdi_factory import signed_cfdi


def test_faulty_pac_is_a_pac_with_the_inner_identity(pac: SandboxPac) -> None:
    faulty = FaultyPac(pac)
    assert isinstance(faulty, Pac)
    assert (faulty.name, faulty.is_sandbox) == ("sandbox", True)


def test_unavailable_n_times_then_the_same_bytes_stamp(pac: SandboxPac, ledger: InMemoryLedger) -> None:
    # F1: connection refused twice; nothing reached the PAC
    faulty = FaultyPac(pac, [Fault.UNAVAILABLE, Fault.UNAVAILABLE])
    signed = signed_cfdi()
    for _ in range(2):
        with pytest.raises(PacUnavailable):
            faulty.stamp(signed)
        assert len(ledger) == 0
    result = faulty.stamp(signed)
    assert result.already_stamped is False
    assert faulty.stamp_calls == 3 and len(ledger) == 1


def test_answer_lost_after_stamping_is_found_by_retry_and_by_recover(
    pac: SandboxPac, ledger: InMemoryLedger
) -> None:
    # F2/F3: the PAC committed the stamp, the answer never arrived
    faulty = FaultyPac(pac, [Fault.LOST_AFTER_STAMP])
    signed = signed_cfdi()
    with pytest.raises(PacOutcomeUnknown):
        faulty.stamp(signed)
    assert len(ledger) == 1

    recovered = faulty.recover(signed)
    retried = faulty.stamp(signed)
    assert recovered is not None
    assert retried.uuid == recovered.uuid
    assert retried.already_stamped is True
    assert len(ledger) == 1  # exactly one UUID for the sale


def test_request_lost_before_the_pac_got_it_leaves_nothing_to_recover(
    pac: SandboxPac, ledger: InMemoryLedger
) -> None:
    faulty = FaultyPac(pac, [Fault.LOST_BEFORE_SEND])
    signed = signed_cfdi()
    with pytest.raises(PacOutcomeUnknown):
        faulty.stamp(signed)
    assert faulty.recover(signed) is None
    assert faulty.stamp(signed).already_stamped is False


def test_recover_can_be_unavailable_too(pac: SandboxPac) -> None:
    faulty = FaultyPac(pac, recover_unavailable=1)
    signed = signed_cfdi()
    with pytest.raises(PacUnavailable):
        faulty.recover(signed)
    assert faulty.recover(signed) is None


def test_delay_is_slept_before_every_call(pac: SandboxPac) -> None:
    slept: list[float] = []
    faulty = FaultyPac(pac, delay_seconds=0.5, sleep=slept.append)
    signed = signed_cfdi()
    faulty.stamp(signed)
    faulty.recover(signed)
    assert slept == [0.5, 0.5]


def test_faults_are_recorded_in_order(pac: SandboxPac) -> None:
    faulty = FaultyPac(pac, [Fault.UNAVAILABLE, Fault.NONE, Fault.LOST_BEFORE_SEND])
    signed = signed_cfdi()
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(faulty.stamp(signed).already_stamped)
        except (PacUnavailable, PacOutcomeUnknown) as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes == ["PacUnavailable", False, "PacOutcomeUnknown", True]
    assert faulty.faults_injected == [Fault.UNAVAILABLE, Fault.LOST_BEFORE_SEND]
