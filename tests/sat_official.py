"""Independent checks with SAT's official files (shared/sat/sitio_internet), never Timbra's code:
XSD validity of a CFDI and its TimbreFiscalDigital, the emisor's Sello over the cadena original
from SAT's XSLT, and SelloSAT over the TFD cadena original from SAT's XSLT."""

from __future__ import annotations

import base64
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from tests.factories import SAT_DIR

CFD = SAT_DIR / "sitio_internet" / "cfd"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
PAGOS_NS = "http://www.sat.gob.mx/Pagos20"


@cache
def _schema() -> etree.XMLSchema:
    # One wrapper schema importing every namespace, so the complements inside cfdi:Complemento
    # (an xs:any with lax processing) are validated too: the TFD, and Pagos 2.0 in a REP
    # (a CFDI without pagos20 nodes is unaffected by that import).
    wrapper = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
      <xs:import namespace="http://www.sat.gob.mx/cfd/4" schemaLocation="{(CFD / '4' / 'cfdv40.xsd').as_uri()}"/>
      <xs:import namespace="{TFD_NS}"
        schemaLocation="{(CFD / 'TimbreFiscalDigital' / 'TimbreFiscalDigitalv11.xsd').as_uri()}"/>
      <xs:import namespace="{PAGOS_NS}" schemaLocation="{(CFD / 'Pagos' / 'Pagos20.xsd').as_uri()}"/>
    </xs:schema>"""
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=str(CFD) + "/"))


@cache
def _xslt(relative: str) -> etree.XSLT:
    return etree.XSLT(etree.parse(str(CFD / relative)))


def assert_valid_cfdi(xml: bytes) -> etree._Element:
    """XSD-valid (CFDI 4.0 + TFD 1.1 + Pagos 2.0) and the emisor's Sello verifies over SAT's cadena original."""
    root = etree.fromstring(xml)
    schema = _schema()
    assert schema.validate(root), [str(e) for e in schema.error_log]
    cadena = str(_xslt("4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt")(root))
    certificate = x509.load_der_x509_certificate(base64.b64decode(root.get("Certificado")))
    certificate.public_key().verify(  # type: ignore[union-attr,call-arg]
        base64.b64decode(root.get("Sello")), cadena.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return root


def assert_valid_timbre(xml: bytes, pac_certificate_pem: bytes) -> str:
    """SelloSAT verifies with the PAC's certificate over SAT's TFD cadena original; returns the UUID."""
    root = etree.fromstring(xml)
    tfd = root.find(f".//{{{TFD_NS}}}TimbreFiscalDigital")
    assert tfd is not None, "no TimbreFiscalDigital"
    assert tfd.get("SelloCFD") == root.get("Sello")
    cadena = str(_xslt("TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt")(etree.ElementTree(tfd)))
    certificate = x509.load_pem_x509_certificate(pac_certificate_pem)
    certificate.public_key().verify(  # type: ignore[union-attr,call-arg]
        base64.b64decode(tfd.get("SelloSAT")), cadena.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return str(tfd.get("UUID"))
