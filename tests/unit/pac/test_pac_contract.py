"""The shapes every PAC adapter shares."""

from __future__ import annotations

from datetime import datetime

import pytest

from timbra.cfdi.pac import PacError, PacOutcomeUnknown, PacRejected, PacUnavailable, StampResult

from .cfdi_factory import MEXICO_CITY


def test_stamp_result_requires_an_upper_case_uuid() -> None:
    with pytest.raises(ValueError):
        StampResult(
            uuid="e4dc7c12-cf80-452f-9734-edf6fbf334bf",
            stamped_xml=b"<x/>",
            fecha_timbrado=datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY),
            no_certificado_sat="30001000000500003456",
            rfc_prov_certif="SAT970701NN3",
        )


def test_rejection_carries_a_stable_code_and_a_spanish_message() -> None:
    error = PacRejected(
        "CFDI40145", "El campo Nombre del receptor, debe pertenecer al nombre asociado al RFC."
    )
    assert (error.code, error.message) == (
        "CFDI40145",
        "El campo Nombre del receptor, debe pertenecer al nombre asociado al RFC.",
    )
    assert str(error).startswith("CFDI40145: ")


def test_the_three_failures_are_distinct_pac_errors() -> None:
    unavailable = PacUnavailable("PAC saturado", retry_after=30)
    assert unavailable.retry_after == 30
    for error in (PacRejected("301", "XML mal formado"), unavailable, PacOutcomeUnknown("sin respuesta")):
        assert isinstance(error, PacError)
    assert not issubclass(PacOutcomeUnknown, PacUnavailable)
    assert not issubclass(PacUnavailable, PacOutcomeUnknown)
