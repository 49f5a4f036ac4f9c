"""The SAT's cancellation rules, pure (domain/cancellation.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from timbra.domain import cancellation as rules
from timbra.domain.cancellation import CfdiFacts, Outcome, SatStatus

FRIDAY = date(2026, 11, 20)


def facts(**overrides):
    values = {"tipo_de_comprobante": "I", "total_mxn": Decimal("1158.84"), "receptor_rfc": "URE180429TM6",
              "issued_on": FRIDAY}
    return CfdiFacts(**{**values, **overrides})


def test_business_days_skip_weekends_and_the_official_rest_days():
    assert rules.add_business_days(FRIDAY, 1) == date(2026, 11, 23)
    # Monday Nov 16 2026 is the rest day for Nov 20 (third Monday of November)
    assert rules.is_business_day(date(2026, 11, 16)) is False
    assert rules.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 28)  # Christmas, then a weekend
    assert rules.add_business_days(date(2026, 2, 1), 1) == date(2026, 2, 3)  # Feb 2: first Monday of February
    assert rules.acceptance_deadline(date(2026, 11, 24)) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("overrides", "today", "needed"),
    [
        ({}, FRIDAY, False),  # cancelled the day it was issued
        ({}, date(2026, 11, 23), False),  # by the next business day
        ({}, date(2026, 11, 24), True),
        ({"total_mxn": Decimal("1000.00")}, date(2026, 12, 1), False),  # up to $1,000
        ({"total_mxn": Decimal("1000.01")}, date(2026, 12, 1), True),
        ({"tipo_de_comprobante": "E"}, date(2026, 12, 1), False),  # egresos
        ({"tipo_de_comprobante": "T"}, date(2026, 12, 1), False),  # traslados
        ({"tipo_de_comprobante": "P", "total_mxn": Decimal(0)}, date(2026, 12, 1), True),  # a REP, whatever its total
        ({"receptor_rfc": "XAXX010101000"}, date(2026, 12, 1), False),  # público en general
        ({"receptor_rfc": "XEXX010101000"}, date(2026, 12, 1), False),  # extranjero
    ],
)
def test_who_must_accept_follows_rmf_2_7_1_35(overrides, today, needed):
    assert rules.needs_acceptance(facts(**overrides), today=today) is needed


def test_the_deadline_is_march_for_personas_morales_and_april_for_fisicas():
    assert rules.cancellation_deadline(FRIDAY, emisor_rfc="EKU9003173C9") == date(2027, 3, 31)
    assert rules.cancellation_deadline(FRIDAY, emisor_rfc="XIQB891116QE4") == date(2027, 4, 30)
    rules.check_deadline(FRIDAY, emisor_rfc="EKU9003173C9", today=date(2027, 3, 31))
    with pytest.raises(rules.CancellationProblem):
        rules.check_deadline(FRIDAY, emisor_rfc="EKU9003173C9", today=date(2027, 4, 1))


@pytest.mark.parametrize(
    ("motivo", "folio", "receptor", "code"),
    [
        ("01", None, "URE180429TM6", "substitute_required"),
        ("02", "6F8C", "URE180429TM6", "substitute_not_allowed"),
        ("04", None, "URE180429TM6", "motivo_04_global_only"),
        ("00", None, "URE180429TM6", "motivo_invalid"),
    ],
)
def test_motives_and_substitutes_fit_together(motivo, folio, receptor, code):
    with pytest.raises(rules.CancellationProblem) as error:
        rules.check_motive(motivo, folio_sustitucion=folio, receptor_rfc=receptor)
    assert error.value.code == code


def test_valid_motives_pass():
    rules.check_motive("01", folio_sustitucion="6F8C", receptor_rfc="URE180429TM6")
    rules.check_motive("03", folio_sustitucion=None, receptor_rfc="URE180429TM6")
    rules.check_motive("04", folio_sustitucion=None, receptor_rfc="XAXX010101000")


OK = "S - Comprobante obtenido satisfactoriamente."


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (SatStatus(OK, "Cancelado", "Cancelable con aceptación", "Plazo vencido"), Outcome.CANCELLED),
        (SatStatus(OK, "Vigente", "Cancelable con aceptación", "Solicitud rechazada"), Outcome.REJECTED),
        (SatStatus(OK, "Vigente", "Cancelable con aceptación", "En proceso"), Outcome.PENDING),
        (SatStatus(OK, "Vigente", "Cancelable sin aceptación", ""), Outcome.ACTIVE),
        # Finkok's get_sat_status answered N 601 with Estado Vigente: trust CodigoEstatus first
        (SatStatus("N - 601: La expresión impresa proporcionada no es válida.", "Vigente"), Outcome.UNKNOWN),
    ],
)
def test_the_status_service_answer_is_read_codigo_estatus_first(status, outcome):
    assert status.outcome() == outcome
