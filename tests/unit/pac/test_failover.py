"""Failover to a second PAC only when the first provably never got the document (issue 11 §2)."""

from __future__ import annotations

import pytest

from tests.fakes import RunningFake
from timbra.cfdi.pac import PacOutcomeUnknown, PacUnavailable
from timbra.cfdi.pacs.failover import FailoverPac
from timbra.cfdi.pacs.transport import Timeouts
from timbra.invoicing.pacs import pac_from_config

from .cfdi_factory import signed_cfdi


@pytest.fixture
def failover(fake_finkok: RunningFake, fake_sw: RunningFake, fast_timeouts: Timeouts) -> FailoverPac:
    primary = pac_from_config("finkok", {"username": "timbra@example.com", "password": "secreto"},
                              base_url=fake_finkok.base_url, timeouts=fast_timeouts)
    secondary = pac_from_config("sw", {"token": "token-infinito"}, base_url=fake_sw.base_url, timeouts=fast_timeouts)
    return FailoverPac(primary, secondary)


def _stamps(*fakes: RunningFake) -> int:
    return sum(f.fake.core.stamp_count for f in fakes)  # type: ignore[attr-defined]


def test_a_refused_primary_fails_over_and_the_invoice_records_the_secondary(
    failover: FailoverPac, fake_finkok: RunningFake, fake_sw: RunningFake
) -> None:
    fake_finkok.control.refuse()
    try:
        result = failover.stamp(signed_cfdi())
    finally:
        fake_finkok.control.accept()
    assert result.pac_name == "sw-pruebas"
    assert (fake_finkok.fake.core.stamp_count, fake_sw.fake.core.stamp_count) == (0, 1)  # type: ignore[attr-defined]


def test_a_timeout_never_fails_over_and_the_retry_recovers_one_uuid(
    failover: FailoverPac, fake_finkok: RunningFake, fake_sw: RunningFake, fast_timeouts: Timeouts
) -> None:
    signed = signed_cfdi()
    fake_finkok.control.slow("stamp", fast_timeouts.read + 1.0)
    with pytest.raises(PacOutcomeUnknown):
        failover.stamp(signed)
    assert fake_sw.control.calls("stamp") == []  # the secondary never saw it
    # the retry, as timbra.invoicing.stamp does it: recover first, then stamp the same bytes
    recovered = failover.recover(signed)
    assert recovered is not None and recovered.pac_name == "finkok-pruebas"
    assert failover.stamp(signed).uuid == recovered.uuid
    assert _stamps(fake_finkok, fake_sw) == 1


def test_no_double_stamp_when_the_primary_stamped_and_then_went_down(
    failover: FailoverPac, fake_finkok: RunningFake, fake_sw: RunningFake, fast_timeouts: Timeouts
) -> None:
    # given the primary stamped but its answer was lost, and then it stops accepting connections
    signed = signed_cfdi()
    fake_finkok.control.drop("stamp", after_work=True)
    with pytest.raises(PacOutcomeUnknown):
        failover.stamp(signed)
    fake_finkok.control.refuse()
    try:
        # when the retry asks whether it was stamped, it cannot know: it waits, it does not fail over
        with pytest.raises(PacUnavailable):
            failover.recover(signed)
    finally:
        fake_finkok.control.accept()
    # then, once the primary is back, the retry finds the one stamp
    assert failover.recover(signed) is not None
    assert _stamps(fake_finkok, fake_sw) == 1
    assert fake_sw.control.calls("stamp") == []


def test_a_5xx_from_the_primary_does_not_fail_over(
    failover: FailoverPac, fake_finkok: RunningFake, fake_sw: RunningFake
) -> None:
    fake_finkok.control.fail("stamp", 503)
    with pytest.raises(PacUnavailable):
        failover.stamp(signed_cfdi())
    assert fake_sw.control.calls("stamp") == []
