"""Finkok, SW sapien and Diverza adapters against fake servers speaking each PAC's wire protocol.

Every test runs for the three PACs: the guarantees are Timbra's, not a PAC's (issue 11 §2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.fakes import RunningFake
from tests.fakes.server import Request
from tests.fakes.swsapien import _multipart_field
from timbra.cfdi.pac import (
    CancelRequest,
    Pac,
    PacCancellation,
    PacConnectionCheck,
    PacOutcomeUnknown,
    PacRejected,
    PacUnavailable,
)
from timbra.cfdi.pacs.codes import AUTH
from timbra.cfdi.pacs.transport import PacUnreachable, Timeouts
from timbra.invoicing.pacs import pac_from_config

from .cfdi_factory import CfdiSpec, eku_signer, signed_cfdi

CREDENTIALS = {
    "finkok": {"username": "timbra@example.com", "password": "secreto"},
    "sw": {"username": "timbra@example.com", "password": "secreto"},
    "diverza": {"rfc": "EKU9003173C9", "id": "3935", "token": "ABCD1234"},
}
WRONG = {
    "finkok": {"username": "timbra@example.com", "password": "otra"},
    "sw": {"username": "timbra@example.com", "password": "otra"},
    "diverza": {"rfc": "EKU9003173C9", "id": "3935", "token": "otro"},
}


@dataclass
class Scenario:
    name: str
    server: RunningFake
    timeouts: Timeouts

    def pac(self, credentials: dict[str, str] | None = None) -> Pac:
        return pac_from_config(self.name, credentials or CREDENTIALS[self.name], base_url=self.server.base_url,
                               timeouts=self.timeouts)

    @property
    def stamps(self) -> int:
        return self.server.fake.core.stamp_count  # type: ignore[attr-defined]

    def sent_xml(self) -> list[bytes]:
        """The CFDI bytes every stamp request carried, decoded from the PAC's own envelope."""
        return [_payload(self.name, request) for request in self.server.control.calls("stamp")]


def _payload(name: str, request: Request) -> bytes:
    if name == "finkok":
        start = request.body.index(b"<stamp:xml>") + len(b"<stamp:xml>")
        return base64.b64decode(request.body[start:request.body.index(b"</stamp:xml>")])
    if name == "sw":
        return _multipart_field(request, "xml") or b""
    return base64.b64decode(json.loads(request.body)["document"]["content"])


@pytest.fixture(params=["finkok", "sw", "diverza"])
def scenario(request: pytest.FixtureRequest, fast_timeouts: Timeouts) -> Iterator[Scenario]:
    server = request.getfixturevalue(f"fake_{request.param}")
    yield Scenario(request.param, server, fast_timeouts)


# --- stamping -----------------------------------------------------------------------------------


def test_stamp_sends_the_exact_signed_bytes_and_returns_the_timbre(scenario: Scenario) -> None:
    signed = signed_cfdi()
    result = scenario.pac().stamp(signed)
    assert len(result.uuid) == 36 and result.uuid == result.uuid.upper()
    assert b"TimbreFiscalDigital" in result.stamped_xml and result.uuid.encode() in result.stamped_xml
    assert not result.already_stamped
    assert result.pac_name == f"{scenario.name}-pruebas"
    assert scenario.sent_xml() == [signed]
    assert scenario.stamps == 1


def test_the_same_bytes_twice_get_the_same_uuid(scenario: Scenario) -> None:
    pac, signed = scenario.pac(), signed_cfdi()
    first = pac.stamp(signed)
    again = pac.stamp(signed)
    assert again.uuid == first.uuid
    # Finkok's and SW's 307 say so; Diverza answers a repeated RefID exactly like the first time.
    assert again.already_stamped is (scenario.name != "diverza")
    assert scenario.stamps == 1


def test_an_invalid_cfdi_is_rejected_with_the_sat_code_and_a_spanish_reason(scenario: Scenario) -> None:
    signed = signed_cfdi(CfdiSpec().but(receptor_nombre="OTRO NOMBRE SA"))
    with pytest.raises(PacRejected) as rejected:
        scenario.pac().stamp(signed)
    # Finkok wraps it as 301 "[Error #CFDI40145] …": the matrix code is what the business can act on.
    assert rejected.value.code == "CFDI40145"
    assert "receptor" in rejected.value.message.lower()
    assert scenario.stamps == 0


def test_a_date_outside_the_72_hours_is_rejected_as_401(scenario: Scenario) -> None:
    signed = signed_cfdi(CfdiSpec().but(fecha=datetime(2026, 11, 15, 9, 0)))
    with pytest.raises(PacRejected) as rejected:
        scenario.pac().stamp(signed)
    assert rejected.value.code == "401"
    assert "72 horas" in rejected.value.message
    assert scenario.pac().recover(signed) is None


def test_a_rejection_code_from_the_catalogue_reaches_the_held_reason(scenario: Scenario) -> None:
    scenario.server.control.reject("stamp", "305", "La fecha de emisión no esta dentro de la vigencia del CSD del Emisor")
    with pytest.raises(PacRejected) as rejected:
        scenario.pac().stamp(signed_cfdi())
    assert rejected.value.code == "305"
    assert "vigencia del CSD" in rejected.value.message


def test_bad_credentials_on_stamp_hold_the_invoice_with_a_clear_reason(scenario: Scenario) -> None:
    with pytest.raises(PacRejected) as rejected:
        scenario.pac(WRONG[scenario.name]).stamp(signed_cfdi())
    assert rejected.value.code == AUTH
    assert "credenciales" in rejected.value.message
    assert scenario.stamps == 0


# --- lost answers: unknown, then recovered, never a second UUID -----------------------------------


def test_a_slow_answer_is_unknown_and_recover_returns_the_same_stamp(scenario: Scenario) -> None:
    pac, signed = scenario.pac(), signed_cfdi()
    scenario.server.control.slow("stamp", scenario.timeouts.read + 1.0)
    with pytest.raises(PacOutcomeUnknown):
        pac.stamp(signed)
    assert scenario.stamps == 1  # the PAC did stamp; only its answer was lost
    recovered = pac.recover(signed)
    assert recovered is not None
    again = pac.stamp(signed)
    assert again.uuid == recovered.uuid
    assert scenario.stamps == 1
    assert set(scenario.sent_xml()) == {signed}


def test_a_connection_dropped_after_sending_is_unknown(scenario: Scenario) -> None:
    pac, signed = scenario.pac(), signed_cfdi()
    scenario.server.control.drop("stamp", after_work=True)
    with pytest.raises(PacOutcomeUnknown):
        pac.stamp(signed)
    recovered = pac.recover(signed)
    assert recovered is not None and scenario.stamps == 1
    assert pac.stamp(signed).uuid == recovered.uuid


def test_a_connection_dropped_before_the_pac_stamped_is_still_unknown_and_retries_stamp_once(
    scenario: Scenario,
) -> None:
    pac, signed = scenario.pac(), signed_cfdi()
    scenario.server.control.drop("stamp", after_work=False)
    with pytest.raises(PacOutcomeUnknown):
        pac.stamp(signed)
    assert scenario.stamps == 0
    result = pac.stamp(signed)
    assert scenario.stamps == 1
    assert pac.stamp(signed).uuid == result.uuid


def test_a_refused_connection_is_unavailable_and_nothing_was_sent(scenario: Scenario) -> None:
    scenario.server.control.refuse()
    try:
        with pytest.raises(PacUnreachable):
            scenario.pac().stamp(signed_cfdi())
    finally:
        scenario.server.control.accept()
    assert scenario.server.control.calls("stamp") == []


def test_503_and_429_are_unavailable_with_the_pacs_retry_after(scenario: Scenario) -> None:
    scenario.server.control.fail("stamp", 503, retry_after="7")
    scenario.server.control.fail("stamp", 429)
    pac = scenario.pac()
    with pytest.raises(PacUnavailable) as unavailable:
        pac.stamp(signed_cfdi())
    assert unavailable.value.retry_after == 7
    with pytest.raises(PacUnavailable):
        pac.stamp(signed_cfdi())
    assert scenario.stamps == 0


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_5xx_may_come_after_the_stamp_so_they_are_unknown(scenario: Scenario, status: int) -> None:
    scenario.server.control.fail("stamp", status)
    with pytest.raises(PacOutcomeUnknown):
        scenario.pac().stamp(signed_cfdi())


# --- cancellation and connection checks ----------------------------------------------------------


def test_cancel_answers_with_the_pacs_code(scenario: Scenario) -> None:
    pac = scenario.pac()
    stamped = pac.stamp(signed_cfdi())
    assert isinstance(pac, PacCancellation)
    request = CancelRequest(uuid=stamped.uuid, stamped_xml=stamped.stamped_xml, motivo="02",
                            folio_sustitucion=None, signer=eku_signer())
    answer = pac.cancel(request)
    assert answer.uuid == stamped.uuid
    if scenario.name == "diverza":  # satcfdi reports Diverza's "canceled" as 202
        assert answer.code == "202"
    else:
        assert answer.code == "201" and answer.acuse_xml and stamped.uuid.encode() in answer.acuse_xml
        assert pac.cancel(request).code == "202"
    assert answer.message


def test_cancelling_an_unknown_uuid_is_rejected_as_205(scenario: Scenario) -> None:
    pac = scenario.pac()
    stamped = pac.stamp(signed_cfdi())
    unknown = "11111111-2222-3333-4444-555555555555"
    request = CancelRequest(uuid=unknown, stamped_xml=stamped.stamped_xml.replace(stamped.uuid.encode(), unknown.encode()),
                            motivo="02", folio_sustitucion=None, signer=eku_signer())
    with pytest.raises(PacRejected) as rejected:
        pac.cancel(request)
    assert rejected.value.code == "205"


def test_check_connection_passes_with_good_credentials_and_names_bad_ones(scenario: Scenario) -> None:
    good = scenario.pac()
    assert isinstance(good, PacConnectionCheck)
    good.check_connection()
    bad = scenario.pac(WRONG[scenario.name])
    with pytest.raises(PacRejected) as rejected:
        bad.check_connection()  # type: ignore[attr-defined]
    assert rejected.value.code == AUTH


def test_check_connection_of_an_unreachable_pac_is_unavailable(scenario: Scenario) -> None:
    scenario.server.control.refuse()
    try:
        with pytest.raises(PacUnavailable):
            scenario.pac().check_connection()  # type: ignore[attr-defined]
    finally:
        scenario.server.control.accept()


# --- each PAC's own quirks -------------------------------------------------------------------------


def test_finkok_307_without_the_xml_falls_back_to_stamped(fake_finkok: RunningFake, fast_timeouts: Timeouts) -> None:
    pac = Scenario("finkok", fake_finkok, fast_timeouts).pac()
    signed = signed_cfdi()
    first = pac.stamp(signed)
    fake_finkok.fake.duplicate_answer = "without_xml"  # type: ignore[attr-defined]
    again = pac.stamp(signed)
    assert (again.uuid, again.already_stamped) == (first.uuid, True)
    assert len(fake_finkok.control.calls("recover")) == 1


def test_finkok_307_while_stamped_has_nothing_yet_is_unknown(fake_finkok: RunningFake, fast_timeouts: Timeouts) -> None:
    pac = Scenario("finkok", fake_finkok, fast_timeouts).pac()
    signed = signed_cfdi()
    pac.stamp(signed)
    fake_finkok.fake.duplicate_answer = "without_xml"  # type: ignore[attr-defined]
    fake_finkok.control.reject("recover", "603", "El CFDI no contiene un timbre previo")
    with pytest.raises(PacOutcomeUnknown):
        pac.stamp(signed)  # never a new seal while Finkok says 307


def test_sw_reads_the_original_from_message_detail(fake_sw: RunningFake, fast_timeouts: Timeouts) -> None:
    pac = Scenario("sw", fake_sw, fast_timeouts).pac()
    signed = signed_cfdi()
    first = pac.stamp(signed)
    fake_sw.fake.duplicate_answer = "messageDetail"  # type: ignore[attr-defined]
    assert pac.stamp(signed).uuid == first.uuid


def test_sw_logs_in_once_and_sends_a_customid_per_signed_xml(
    fake_sw: RunningFake, fast_timeouts: Timeouts
) -> None:
    pac = Scenario("sw", fake_sw, fast_timeouts).pac()
    pac.stamp(signed_cfdi())
    pac.stamp(signed_cfdi(CfdiSpec().but(folio="2")))
    logins = fake_sw.control.calls("auth")
    # satcfdi asks for "//security/authenticate"; the fake accepts both spellings, as SW does.
    assert len(logins) == 1 and logins[0].path.endswith("/security/authenticate")
    customids = {r.headers["customid"] for r in fake_sw.control.calls("stamp")}
    assert len(customids) == 2 and all(len(c) == 64 for c in customids)


def test_sw_with_a_portal_token_needs_no_login(fake_sw: RunningFake, fast_timeouts: Timeouts) -> None:
    pac = pac_from_config("sw", {"token": "token-infinito"}, base_url=fake_sw.base_url, timeouts=fast_timeouts)
    pac.stamp(signed_cfdi())
    pac.check_connection()  # type: ignore[attr-defined]
    assert fake_sw.control.calls("auth") == []


def test_diverza_cancels_only_with_motive_02(fake_diverza: RunningFake, fast_timeouts: Timeouts) -> None:
    pac = Scenario("diverza", fake_diverza, fast_timeouts).pac()
    stamped = pac.stamp(signed_cfdi())
    request = CancelRequest(uuid=stamped.uuid, stamped_xml=stamped.stamped_xml, motivo="03",
                            folio_sustitucion=None, signer=eku_signer())
    with pytest.raises(PacRejected) as rejected:
        pac.cancel(request)  # type: ignore[attr-defined]
    assert rejected.value.code == "motivo_no_soportado"
    assert fake_diverza.control.calls("cancel") == []
