"""RFC, nombre and the receptor's régimen/uso/CP as SAT validates them."""

from __future__ import annotations

import re
import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timbra.domain import catalogs
from timbra.domain.taxpayer import (
    Problem,
    is_valid_rfc,
    normalize_nombre,
    normalize_rfc,
    persona_type,
    validate_fiscal_data,
)

# tdCFDI.xsd t_RFC, written out independently of the module under test.
SAT_RFC = re.compile(r"[A-Z&Ñ]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]")
MORAL = "EKU9003173C9"
FISICA = "CACX7605101P8"


def codes(problems: list[Problem]) -> dict[str, str]:
    return {p.field: p.code for p in problems}


@pytest.mark.parametrize(
    ("rfc", "persona"),
    [
        ("EKU9003173C9", "moral"),
        ("H&E951128469", "moral"),
        ("L&O950913MSA", "moral"),
        ("URE180429TM6", "moral"),
        ("OÑO120726RX3", "moral"),
        ("CACX7605101P8", "fisica"),
        ("RAQÑ7701212M3", "fisica"),
        ("XAXX010101000", "fisica"),
        ("XEXX010101000", "fisica"),
        ("EKU9202293C9", "moral"),  # 1992-02-29 existed
    ],
)
def test_valid_rfcs_are_accepted_with_their_persona_type(rfc: str, persona: str) -> None:
    assert is_valid_rfc(rfc)
    assert persona_type(rfc) == persona


@pytest.mark.parametrize(
    "rfc",
    [
        "EKU9002303C9",  # 30 February
        "EKU9102293C9",  # 29 February 1991
        "EKU9004313C9",  # 31 April
        "EKU9013173C9",  # month 13
        "EKU9000173C9",  # month 00
        "EKU900317",  # too short
        "EKU9003173C9X",  # moral with an extra character
        "EKU9003173CB",  # check character must be a digit or A
        "E1U9003173C9",
        "eku9003173c9",  # lower case is not SAT's form
        "EKU 900317 3C9",
        "",
    ],
)
def test_malformed_rfcs_and_impossible_dates_are_rejected(rfc: str) -> None:
    assert not is_valid_rfc(rfc)
    assert persona_type(rfc) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("eku9003173c9", "EKU9003173C9"),
        ("  eku-900317-3c9 ", "EKU9003173C9"),
        ("hañ930228sm9", "HAÑ930228SM9"),
        ("HAN\u0303930228SM9", "HAÑ930228SM9"),  # decomposed Ñ (N + combining tilde)
        ("l&o950913msa", "L&O950913MSA"),
    ],
)
def test_normalize_rfc_fixes_case_spacing_and_unicode(raw: str, expected: str) -> None:
    assert normalize_rfc(raw) == expected
    assert is_valid_rfc(normalize_rfc(raw))


rfc_letters = st.text(alphabet=string.ascii_uppercase + "&Ñ", min_size=3, max_size=4)
homoclave = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=2, max_size=2)
check_char = st.sampled_from(string.digits + "A")


@given(rfc_letters, st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), homoclave, check_char)
def test_any_rfc_matching_the_sat_pattern_with_a_real_date_is_valid(
    letters: str, born: date, clave: str, check: str
) -> None:
    rfc = f"{letters}{born:%y%m%d}{clave}{check}"
    assert is_valid_rfc(rfc)


@given(st.text(max_size=16))
def test_junk_is_only_accepted_when_it_is_a_real_rfc(junk: str) -> None:
    if is_valid_rfc(junk):
        assert SAT_RFC.fullmatch(junk)


@given(rfc_letters, st.integers(0, 99), st.integers(1, 12), st.integers(29, 31), homoclave, check_char)
def test_days_past_the_end_of_the_month_are_rejected(
    letters: str, yy: int, mm: int, dd: int, clave: str, check: str
) -> None:
    rfc = f"{letters}{yy:02d}{mm:02d}{dd:02d}{clave}{check}"
    try:
        date(2000 + yy, mm, dd)
    except ValueError:
        assert not is_valid_rfc(rfc)
    else:
        assert is_valid_rfc(rfc)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Escuela Kemper Urgate, S.A. de C.V.", "ESCUELA KEMPER URGATE"),
        ("ESCUELA KEMPER URGATE SA DE CV", "ESCUELA KEMPER URGATE"),
        ("ACME S.A.DE C.V.", "ACME"),
        ("ACME, S. A. DE C. V.", "ACME"),
        ("ACME SAPI DE CV", "ACME"),
        ("ACME S.A.P.I. de C.V.", "ACME"),
        ("ACME S. DE R.L. DE C.V.", "ACME"),
        ("ACME S DE RL", "ACME"),
        ("DESPACHO Y ASOCIADOS S.C.", "DESPACHO Y ASOCIADOS"),
        ("FUNDACION AYUDA, A.C.", "FUNDACION AYUDA"),
        ("ACME S.A.", "ACME"),
        ("ACME SAS", "ACME"),
        ("ACME SOCIEDAD ANÓNIMA DE CAPITAL VARIABLE", "ACME"),
        ("FINANCIERA SOL SA DE CV SOFOM ENR", "FINANCIERA SOL"),
        ("universidad   robotica española", "UNIVERSIDAD ROBOTICA ESPAÑOLA"),
        ("  luces & obras ", "LUCES & OBRAS"),
        ("José Ñandú Pérez", "JOSÉ ÑANDÚ PÉREZ"),
        # Names that merely contain the letters stay whole.
        ("MESA DE CV", "MESA DE CV"),
        ("SACV SERVICIOS", "SACV SERVICIOS"),
        ("CASA", "CASA"),
        ("PLAZA SANTA FE", "PLAZA SANTA FE"),
        ("ASOCIADOS SANCHEZ", "ASOCIADOS SANCHEZ"),
        ("JOSE SAC", "JOSE SAC"),
        ("SA DE CV", "SA DE CV"),  # nothing would be left
    ],
)
def test_normalize_nombre_uppercases_and_drops_the_regimen_capital(raw: str, expected: str) -> None:
    assert normalize_nombre(raw) == expected


def test_valid_receptor_data_has_no_problems() -> None:
    assert validate_fiscal_data("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "601", "86991", "G03") == []
    assert validate_fiscal_data("H&E951128469", "HERRERIA & ELECTRICOS", "601", "06002", "G01") == []
    assert validate_fiscal_data(FISICA, "XOCHILT CASAS CHAVEZ", "612", "36257", "D01") == []


def test_lowercase_rfc_is_reported_with_its_normalised_form() -> None:
    problems = validate_fiscal_data("eku9003173c9", "ESCUELA KEMPER URGATE", "601", "42501", "G03")
    assert [(p.code, p.field) for p in problems] == [("rfc_invalid", "rfc")]
    assert "EKU9003173C9" in problems[0].message


@pytest.mark.parametrize(
    ("nombre", "code"),
    [
        ("ESCUELA KEMPER URGATE SA DE CV", "CFDI40145"),
        ("Escuela Kemper Urgate", "CFDI40145"),
        ("PUBLICO EN GENERAL", "CFDI40146"),
        ("  ", "nombre_required"),
    ],
)
def test_nombre_must_be_the_registry_name(nombre: str, code: str) -> None:
    assert codes(validate_fiscal_data(MORAL, nombre, "601", "42501", "G03")) == {"nombre": code}


def test_codigo_postal_must_have_five_digits() -> None:
    problems = validate_fiscal_data(MORAL, "ESCUELA KEMPER URGATE", "601", "4250", "G03")
    assert codes(problems) == {"codigo_postal": "codigo_postal_invalid"}


@pytest.mark.parametrize(
    ("rfc", "regimen", "code"),
    [
        (MORAL, "612", "CFDI40158"),  # física-only régimen for a moral
        (FISICA, "601", "CFDI40158"),  # moral-only régimen for a física
        (MORAL, "999", "CFDI40157"),
    ],
)
def test_regimen_must_exist_and_fit_the_persona_type(rfc: str, regimen: str, code: str) -> None:
    problems = validate_fiscal_data(rfc, "ALGUIEN", regimen, "42501", "S01")
    assert codes(problems) == {"regimen_fiscal": code}


@pytest.mark.parametrize(
    ("rfc", "regimen", "uso", "ok"),
    [
        (FISICA, "605", "G03", False),  # sueldos y salarios deduce no gastos
        (FISICA, "612", "G03", True),
        (MORAL, "601", "G03", True),
        (FISICA, "605", "CN01", True),
        (FISICA, "612", "CN01", False),  # CN01 only for 605
        (FISICA, "612", "D01", True),
        (MORAL, "601", "D01", False),  # deducciones personales only for físicas
        (MORAL, "626", "D01", False),
        (FISICA, "616", "G03", False),
    ],
)
def test_uso_cfdi_must_fit_regimen_and_persona(rfc: str, regimen: str, uso: str, ok: bool) -> None:
    problems = validate_fiscal_data(rfc, "ALGUIEN", regimen, "42501", uso)
    assert codes(problems) == ({} if ok else {"uso_cfdi": "CFDI40161"})


@pytest.mark.parametrize("regimen", ["601", "603", "605", "606", "607", "608", "610", "611", "612", "614",
                                     "615", "616", "620", "621", "622", "623", "624", "625", "626"])  # fmt: skip
def test_s01_is_allowed_for_every_regimen(regimen: str) -> None:
    entry = catalogs.regimen(regimen)
    assert entry is not None
    rfc = FISICA if entry.aplica_fisica else MORAL
    assert validate_fiscal_data(rfc, "ALGUIEN", regimen, "42501", "S01") == []


def test_uso_cfdi_must_exist() -> None:
    problems = validate_fiscal_data(MORAL, "ESCUELA KEMPER URGATE", "601", "42501", "G99")
    assert codes(problems) == {"uso_cfdi": "CFDI40160"}


def test_publico_en_general_needs_616_s01_and_the_lugar_de_expedicion() -> None:
    ok = validate_fiscal_data(
        "XAXX010101000", "PUBLICO EN GENERAL", "616", "42501", "S01", lugar_expedicion="42501"
    )
    assert ok == []
    bad = validate_fiscal_data("XAXX010101000", "JUAN PEREZ", "601", "06000", "G03", lugar_expedicion="42501")
    assert codes(bad) == {
        "regimen_fiscal": "CFDI40159",
        "uso_cfdi": "CFDI40161",
        "codigo_postal": "CFDI40149",
    }


def test_extranjero_keeps_its_foreign_name_with_616_and_s01() -> None:
    problems = validate_fiscal_data(
        "XEXX010101000", "ACME INC", "616", "42501", "S01", lugar_expedicion="42501"
    )
    assert problems == []
