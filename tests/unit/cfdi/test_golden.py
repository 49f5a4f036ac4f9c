"""Golden files: one fixed draft must keep producing the same XML and cadena original.

A change here means every future CFDI changes: review the diff, then regenerate on
purpose with `TIMBRA_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/cfdi/test_golden.py`.
Sello and Certificado are left out of the XML file (they follow from the cadena and the
CSD, which the other tests verify).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from satcfdi.models import Signer

from tests.unit.cfdi.conftest import CheckCfdi
from tests.unit.domain.drafts import IVA16, IVA_EXENTO, RET_ISR_RESICO, RET_IVA_2_3, concepto, draft
from timbra.cfdi.build import seal
from timbra.domain.draft import CfdiRelacionados, InvoiceDraft

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
XML_FILE = GOLDEN / "cfdi40_ingreso.xml"
CADENA_FILE = GOLDEN / "cfdi40_ingreso.cadena.txt"


def golden_draft() -> InvoiceDraft:
    return draft(
        concepto("1499.00", IVA16, RET_ISR_RESICO, RET_IVA_2_3, descuento="149.90"),
        concepto("33.333333", IVA16, cantidad="3", descripcion="Usuarios adicionales"),
        concepto("250.00", IVA_EXENTO, descripcion="Curso de capacitación"),
        forma_pago="99",
        metodo_pago="PPD",
        condiciones_de_pago="Crédito 15 días",
        cfdi_relacionados=(CfdiRelacionados("04", ("5FB2822E-396D-4725-8521-CDC4BDD20CCF",)),),
    )


def _without_sello(xml: bytes) -> str:
    root = etree.fromstring(xml)
    del root.attrib["Sello"]
    del root.attrib["Certificado"]
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def _compare(path: Path, actual: str) -> None:
    if os.environ.get("TIMBRA_REGEN_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with TIMBRA_REGEN_GOLDEN=1")
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path.name} changed; review and regenerate on purpose"
    )


def test_golden_xml_is_unchanged(signer: Signer, check_cfdi: CheckCfdi) -> None:
    sealed = seal(golden_draft(), signer)
    check_cfdi(sealed.xml)
    _compare(XML_FILE, _without_sello(sealed.xml))
    # 1849.00 − 149.90 + IVA 231.86 − (ISR 16.86 + IVA 143.90), checked by hand
    assert sealed.total == Decimal("1770.20")


def test_golden_cadena_original_is_unchanged(signer: Signer) -> None:
    _compare(CADENA_FILE, seal(golden_draft(), signer).cadena_original + "\n")
