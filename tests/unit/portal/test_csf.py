"""Reading a Constancia de Situación Fiscal built the way SAT lays it out (tests/csf_pdfs.py)."""

from __future__ import annotations

import pytest

from tests.csf_pdfs import blank_scan, csf_fisica, csf_moral, foreign_pdf, scanned_csf
from timbra.portal.csf import CsfError, read_csf, regimen_code


def test_a_persona_morales_csf_gives_rfc_name_without_regimen_capital_cp_regimen_and_idcif():
    data = read_csf(csf_moral())
    assert data.rfc == "EKU9003173C9"
    assert data.nombre == "ESCUELA KEMPER URGATE"  # CFDI40145: never with the régimen capital
    assert data.regimen_capital == "SOCIEDAD ANONIMA DE CAPITAL VARIABLE"
    assert data.codigo_postal == "42501"  # from the two-column "Código Postal:42501 Tipo de Vialidad" line
    assert data.regimenes == ("601",)
    assert data.id_cif == "19010137431" and data.from_qr


def test_a_persona_fisicas_csf_joins_the_names_and_offers_only_current_regimenes():
    data = read_csf(csf_fisica())
    assert data.rfc == "CACX7605101P8" and data.nombre == "XOCHILT CASAS CHAVEZ"
    assert data.regimenes == ("612", "626")  # 605 ended in 2019: not offered
    assert data.initial()["regimen_fiscal"] == "612"


def test_a_scanned_csf_still_gives_the_rfc_from_its_qr():
    data = read_csf(scanned_csf(rfc="EKU9003173C9", id_cif="19010137431"))
    assert data.rfc == "EKU9003173C9" and data.id_cif == "19010137431"
    assert data.nombre == "" and data.initial() == {"rfc": "EKU9003173C9"}


def test_a_regimen_text_is_mapped_by_the_catalog_or_left_to_the_person():
    assert regimen_code("Régimen Simplificado de Confianza") == "626"
    assert regimen_code("Régimen de Arrendamiento", "CACX7605101P8") == "606"
    assert regimen_code("Régimen de algo que no existe") == ""


def test_a_csf_with_a_regimen_that_no_code_matches_keeps_it_apart():
    data = read_csf(csf_moral(regimenes=(("Régimen Especial Inventado", "01/01/2020", ""),
                                         ("Régimen General de Ley Personas Morales", "01/01/2015", ""))))
    assert data.regimenes == ("601",) and data.unmapped_regimenes == ("Régimen Especial Inventado",)


@pytest.mark.parametrize("content, code", [
    (b"not a pdf at all", "csf_unreadable"),
    (blank_scan(), "csf_no_text"),
    (foreign_pdf(), "csf_not_a_csf"),
    (b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 1), "csf_too_big"),
])
def test_bad_scanned_or_foreign_pdfs_give_a_spanish_message(content, code):
    with pytest.raises(CsfError) as caught:
        read_csf(content)
    assert caught.value.code == code
    assert "datos" in caught.value.message or "MB" in caught.value.message


def test_a_qr_of_another_rfc_than_the_text_is_not_trusted():
    from tests.csf_pdfs import VALIDATOR, _pdf, moral_lines

    pdf = _pdf(moral_lines(rfc="EKU9003173C9"), qr=VALIDATOR.format(id_cif="123456", rfc="URE180429TM6"))
    with pytest.raises(CsfError, match="no parece"):
        read_csf(pdf)
