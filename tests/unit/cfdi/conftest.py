"""Independent checks for every CFDI these tests build.

Nothing here uses `timbra.cfdi.xml`: the XSD is SAT's official cfdv40.xsd and the cadena
original comes from SAT's official XSLT, both read from the shared `sat/sitio_internet`
tree, and the sello is verified against the .cer file itself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree
from satcfdi.models import Signer

SAT_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "sat"
SITIO_INTERNET = SAT_DIR / "sitio_internet"
CERTS = SAT_DIR / "certs"
NO_CERTIFICADO = "30001000000500003416"

CheckCfdi = Callable[[bytes], etree._Element]


@pytest.fixture(scope="session")
def signer() -> Signer:
    return Signer.load(
        certificate=(CERTS / "EKU9003173C9.cer").read_bytes(),
        key=(CERTS / "EKU9003173C9.key").read_bytes(),
        password="12345678a",
    )


@pytest.fixture(scope="session")
def official_schema() -> etree.XMLSchema:
    # cfdv40.xsd imports catCFDI.xsd and tdCFDI.xsd by relative path.
    return etree.XMLSchema(etree.parse(str(SITIO_INTERNET / "cfd" / "4" / "cfdv40.xsd")))


@pytest.fixture(scope="session")
def official_cadena() -> Callable[[bytes], str]:
    xslt_path = SITIO_INTERNET / "cfd" / "4" / "cadenaoriginal_4_0" / "cadenaoriginal_4_0.xslt"
    transform = etree.XSLT(etree.parse(str(xslt_path)))

    def cadena(xml: bytes) -> str:
        return str(transform(etree.fromstring(xml)))

    return cadena


@pytest.fixture(scope="session")
def check_cfdi(official_schema: etree.XMLSchema, official_cadena: Callable[[bytes], str]) -> CheckCfdi:
    """Assert `xml` is XSD-valid and correctly sealed by the SAT test CSD; return its root."""
    certificate = x509.load_der_x509_certificate((CERTS / "EKU9003173C9.cer").read_bytes())
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)

    def check(xml: bytes) -> etree._Element:
        root = etree.fromstring(xml)
        assert official_schema.validate(root), [str(e) for e in official_schema.error_log]
        assert root.get("NoCertificado") == NO_CERTIFICADO
        assert base64.b64decode(root.get("Certificado")) == (CERTS / "EKU9003173C9.cer").read_bytes()
        public_key.verify(
            base64.b64decode(root.get("Sello")),
            official_cadena(xml).encode("utf-8"),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        return root

    return check
