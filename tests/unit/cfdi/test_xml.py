from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from satcfdi.models import Signer

from tests.unit.cfdi.conftest import SITIO_INTERNET
from tests.unit.domain.drafts import IVA16, RET_ISR_RESICO, concepto, draft
from timbra.cfdi import xml as cfdi_xml
from timbra.cfdi.build import seal
from timbra.cfdi.xml import (
    UnsafeXml,
    XsdValidationError,
    cadena_original,
    parse_xml,
    read_comprobante,
    validate_xsd,
    verify_sello,
)

CFDI = "http://www.sat.gob.mx/cfd/4"
TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
UUID = "5fb2822e-396d-4725-8521-cdc4bdd20ccf"


@pytest.fixture(scope="module")
def sealed_xml(signer: Signer) -> bytes:
    return seal(draft(concepto("10000.00", IVA16, RET_ISR_RESICO)), signer).xml


def _edited(xml: bytes, edit: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(xml)
    edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _stamped(xml: bytes) -> bytes:
    """Add a TimbreFiscalDigital the way a PAC does (the sello stays the issuer's)."""

    def add_tfd(root: etree._Element) -> None:
        complemento = etree.SubElement(root, f"{{{CFDI}}}Complemento")
        etree.SubElement(
            complemento,
            f"{{{TFD}}}TimbreFiscalDigital",
            nsmap={"tfd": TFD},
            Version="1.1",
            UUID=UUID,
            FechaTimbrado="2026-11-20T10:00:07",
            RfcProvCertif="SAT970701NN3",
            SelloCFD=root.get("Sello"),
            NoCertificadoSAT="30001000000500003456",
            SelloSAT=base64.b64encode(b"x" * 256).decode(),
        )

    return _edited(xml, add_tfd)


# -- parser -------------------------------------------------------------------------------


def test_parser_refuses_entity_expansion() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>'
    with pytest.raises(UnsafeXml, match="DOCTYPE"):
        parse_xml(bomb)


def test_parser_refuses_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRETO")
    xxe = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'.encode()
    with pytest.raises(UnsafeXml):
        parse_xml(xxe)
    # and the hardened parser alone never reads the file, even before our DOCTYPE check
    root = etree.fromstring(xxe, parser=cfdi_xml.make_parser())
    assert "SECRETO" not in etree.tostring(root).decode()


def test_parser_refuses_malformed_xml_in_spanish() -> None:
    with pytest.raises(UnsafeXml, match="XML mal formado"):
        parse_xml(b"<cfdi:Comprobante")


def test_parser_is_configured_hardened() -> None:
    parser = cfdi_xml.make_parser()
    assert parser is not cfdi_xml.make_parser()  # never shared between threads
    # deeper than libxml2 allows without huge_tree (256 levels)
    big = b"<r>" + b"<a>" * 300 + b"</a>" * 300 + b"</r>"
    with pytest.raises(UnsafeXml):
        parse_xml(big)


# -- XSD ----------------------------------------------------------------------------------


def test_a_sealed_cfdi_passes_the_xsd(sealed_xml: bytes) -> None:
    validate_xsd(sealed_xml)


def test_xsd_problems_are_listed_one_by_one(sealed_xml: bytes) -> None:
    def break_it(root: etree._Element) -> None:
        del root.attrib["Exportacion"]
        root.set("Moneda", "ZZZ")

    with pytest.raises(XsdValidationError) as caught:
        validate_xsd(_edited(sealed_xml, break_it))
    assert len(caught.value.errors) == 2
    assert any("Exportacion" in e for e in caught.value.errors)
    assert any("Moneda" in e for e in caught.value.errors)
    assert str(caught.value).startswith("El XML no cumple con el esquema del SAT")


def test_xsd_validates_a_stamped_cfdi_with_its_timbre(sealed_xml: bytes) -> None:
    validate_xsd(_stamped(sealed_xml))


def test_an_unknown_complement_is_rejected_by_the_xsd(sealed_xml: bytes) -> None:
    def add_unknown(root: etree._Element) -> None:
        complemento = etree.SubElement(root, f"{{{CFDI}}}Complemento")
        etree.SubElement(complemento, "{urn:otro}Cosa")

    with pytest.raises(XsdValidationError):
        validate_xsd(_edited(sealed_xml, add_unknown))


def test_compiled_schema_is_cached_per_process(sealed_xml: bytes) -> None:
    validate_xsd(sealed_xml)  # compiled (or already cached)
    hits = cfdi_xml._schema.cache_info().hits
    started = time.perf_counter()
    for _ in range(10):
        validate_xsd(sealed_xml)
    per_call = (time.perf_counter() - started) / 10
    assert cfdi_xml._schema.cache_info().hits == hits + 10
    assert per_call < 0.1  # compiling cfdv40 + catalogs takes 250-400 ms


def test_the_official_sat_tree_can_be_used_instead_of_satcfdis(sealed_xml: bytes) -> None:
    validate_xsd(sealed_xml, schema_root=SITIO_INTERNET)
    assert cadena_original(sealed_xml, schema_root=SITIO_INTERNET) == cadena_original(sealed_xml)


@pytest.mark.parametrize(
    "relative",
    [
        "cfd/4/cfdv40.xsd",
        "cfd/catalogos/catCFDI.xsd",
        "cfd/tipoDatos/tdCFDI/tdCFDI.xsd",
        "cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
        "cfd/Pagos/Pagos20.xsd",
    ],
)
def test_satcfdis_shipped_schemas_say_what_sats_official_ones_say(relative: str) -> None:
    def canonical(path: Path) -> bytes:
        tree = etree.parse(str(path), etree.XMLParser(remove_blank_text=True, remove_comments=True))
        for note in tree.xpath("//xs:annotation", namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}):
            note.getparent().remove(note)
        return etree.tostring(tree, method="c14n")

    assert canonical(cfdi_xml.DEFAULT_SCHEMA_ROOT / relative) == canonical(SITIO_INTERNET / relative)


# -- cadena original and sello ------------------------------------------------------------


def test_cadena_original_matches_sats_official_xslt(
    sealed_xml: bytes, official_cadena: Callable[[bytes], str]
) -> None:
    assert cadena_original(sealed_xml) == official_cadena(sealed_xml)


def test_cadena_original_of_a_timbre() -> None:
    tfd = etree.fromstring(_stamped(seal_free_xml())).find(
        f"{{{CFDI}}}Complemento/{{{TFD}}}TimbreFiscalDigital"
    )
    assert tfd is not None
    cadena = cadena_original(etree.tostring(tfd))
    assert cadena.startswith(f"||1.1|{UUID}|2026-11-20T10:00:07|SAT970701NN3|")
    assert cadena.endswith("|30001000000500003456||")


def seal_free_xml() -> bytes:
    return f'<cfdi:Comprobante xmlns:cfdi="{CFDI}" Sello="abc"/>'.encode()


def test_cadena_original_refuses_other_documents() -> None:
    with pytest.raises(UnsafeXml):
        cadena_original(b"<otro/>")


def test_sello_verifies(sealed_xml: bytes) -> None:
    assert verify_sello(sealed_xml)


def test_sello_still_verifies_once_stamped(sealed_xml: bytes) -> None:
    assert verify_sello(_stamped(sealed_xml))


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("Total", "10000.01"),  # the amounts were changed after sealing
        ("NoCertificado", "30001000000500003417"),  # does not name the embedded certificate
        ("Certificado", "bm8gZXMgdW4gY2VydGlmaWNhZG8="),  # not a certificate
        ("Sello", "%%%"),  # not base64
    ],
)
def test_a_tampered_cfdi_does_not_verify(sealed_xml: bytes, attribute: str, value: str) -> None:
    assert not verify_sello(_edited(sealed_xml, lambda root: root.set(attribute, value)))


def test_a_changed_description_does_not_verify(sealed_xml: bytes) -> None:
    def change(root: etree._Element) -> None:
        root.find(f"{{{CFDI}}}Conceptos/{{{CFDI}}}Concepto").set("Descripcion", "Otra cosa")

    assert not verify_sello(_edited(sealed_xml, change))


# -- summary ------------------------------------------------------------------------------


def test_read_comprobante_summarises_a_sealed_cfdi(sealed_xml: bytes) -> None:
    summary = read_comprobante(sealed_xml)
    assert summary.uuid is None and summary.fecha_timbrado is None
    assert (summary.rfc_emisor, summary.rfc_receptor) == ("EKU9003173C9", "URE180429TM6")
    assert str(summary.total) == "11475.00"
    assert summary.fecha.isoformat() == "2026-11-20T10:00:00"
    assert summary.no_certificado == "30001000000500003416"


def test_read_comprobante_gives_the_uuid_of_a_stamped_cfdi(sealed_xml: bytes) -> None:
    summary = read_comprobante(_stamped(sealed_xml))
    assert summary.uuid == UUID.upper()
    assert summary.fecha_timbrado is not None and summary.fecha_timbrado.isoformat() == "2026-11-20T10:00:07"
    assert summary.no_certificado_sat == "30001000000500003456"


def test_read_comprobante_refuses_what_is_not_a_cfdi_40() -> None:
    with pytest.raises(UnsafeXml):
        read_comprobante(b"<otro/>")
    with pytest.raises(UnsafeXml, match="Falta el atributo"):
        read_comprobante(f'<cfdi:Comprobante xmlns:cfdi="{CFDI}" Version="4.0"/>'.encode())
