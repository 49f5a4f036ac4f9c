"""The compiled SAT schema checks the huge catalogs as sets: same verdicts as the full XSD."""

from __future__ import annotations

import functools

import pytest
from lxml import etree

from timbra.cfdi import sandbox_checks
from timbra.cfdi.sat_schema import NS_CATALOGS, CatalogAttribute, CfdiSchema

from .cfdi_factory import signed_cfdi

NS_CFDI = "http://www.sat.gob.mx/cfd/4"


@functools.cache
def full_schema() -> etree.XMLSchema:
    """The SAT's XSD exactly as published, every enumeration in libxml2 (the slow reference)."""
    wrapper = etree.Element("{http://www.w3.org/2001/XMLSchema}schema")
    for namespace, relative in sandbox_checks._SCHEMAS.items():
        etree.SubElement(wrapper, "{http://www.w3.org/2001/XMLSchema}import", namespace=namespace,
                         schemaLocation=(sandbox_checks._SCHEMA_ROOT / relative).as_uri())
    root = sandbox_checks._SCHEMA_ROOT
    return etree.XMLSchema(etree.fromstring(etree.tostring(wrapper), base_url=(root / "schema.xsd").as_uri()))


@functools.cache
def light_schema() -> CfdiSchema:
    return CfdiSchema(sandbox_checks._SCHEMA_ROOT, sandbox_checks._SCHEMAS)


def test_every_attribute_typed_with_a_huge_catalog_is_found() -> None:
    found = set(light_schema()._attributes)
    assert {
        CatalogAttribute(f"{{{NS_CFDI}}}Comprobante", "LugarExpedicion", "c_CodigoPostal"),
        CatalogAttribute(f"{{{NS_CFDI}}}Concepto", "ClaveProdServ", "c_ClaveProdServ"),
        CatalogAttribute(f"{{{NS_CFDI}}}Concepto", "ClaveUnidad", "c_ClaveUnidad"),
        CatalogAttribute(f"{{{NS_CFDI}}}Parte", "ClaveProdServ", "c_ClaveProdServ"),
    } <= found


@pytest.mark.parametrize(
    ("old", "new", "set_miss"),
    [
        (None, None, False),  # the happy path
        (b'LugarExpedicion="42501"', b'LugarExpedicion="00001"', True),  # not in c_CodigoPostal
        (b'LugarExpedicion="42501"', b'LugarExpedicion=" 42501 "', False),  # whiteSpace collapse: valid
        (b'ClaveProdServ="', b'ClaveProdServ="9', True),  # not in c_ClaveProdServ
        (b'ClaveUnidad="', b'ClaveUnidad="Z', True),  # not in c_ClaveUnidad
        (b'UsoCFDI="G03"', b'UsoCFDI="G99"', False),  # a small catalog, still libxml2's
        (b'Moneda="MXN"', b'Moneda="XYZ"', False),
    ],
)
def test_the_light_schema_agrees_with_the_full_xsd(old: bytes | None, new: bytes | None, set_miss: bool) -> None:
    xml = signed_cfdi()
    if old is not None and new is not None:
        assert old in xml
        xml = xml.replace(old, new, 1)
    root = etree.fromstring(xml)
    # when both judge the same document
    full_verdict = full_schema().validate(root)
    violation = light_schema().validate(root)
    # then they agree, and a huge-catalog miss is reported by the set check, naming the catalog
    assert (violation is None) == full_verdict
    assert set_miss == (violation is not None and "is not an element of the set c_" in violation.message)


def test_a_huge_catalog_type_used_where_no_set_check_can_reach_it_is_refused(tmp_path) -> None:
    # given a schema that derives a type from c_CodigoPostal (its values could escape the set check)
    catalogs = tmp_path / "catalogos"
    catalogs.mkdir()
    (catalogs / "catCFDI.xsd").write_bytes(
        (sandbox_checks._SCHEMA_ROOT / "catalogos" / "catCFDI.xsd").read_bytes())
    (tmp_path / "x.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:c="{NS_CATALOGS}" targetNamespace="urn:x">'
        f'<xs:import namespace="{NS_CATALOGS}" schemaLocation="catalogos/catCFDI.xsd"/>'
        '<xs:simpleType name="cp"><xs:restriction base="c:c_CodigoPostal"/></xs:simpleType></xs:schema>')
    # then compiling it fails loudly instead of dropping the check
    with pytest.raises(ValueError, match="cannot be checked as a set"):
        CfdiSchema(tmp_path, {"urn:x": "x.xsd"})
