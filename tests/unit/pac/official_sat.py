"""Checks against the SAT's OFFICIAL files in sat/sitio_internet, independent of satcfdi's copies."""

from __future__ import annotations

import base64
import copy
import functools

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from .cfdi_factory import sat_dir

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4", "tfd": "http://www.sat.gob.mx/TimbreFiscalDigital"}


def _cfd() -> str:
    return str(sat_dir() / "sitio_internet" / "cfd")


@functools.cache
def official_schema() -> etree.XMLSchema:
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="file://{_cfd()}/{path}"/>'
        for ns, path in [
            (NS["cfdi"], "4/cfdv40.xsd"),
            (NS["tfd"], "TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"),
        ]
    )
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


@functools.cache
def _xslt(relative: str) -> etree.XSLT:
    return etree.XSLT(etree.parse(f"{_cfd()}/{relative}"))


def comprobante_cadena(root: etree._Element) -> str:
    return str(_xslt("4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt")(root))


def tfd_cadena(tfd: etree._Element) -> str:
    # The XSLT matches /tfd:TimbreFiscalDigital, so the TFD must be the document element.
    return str(
        _xslt("TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt")(etree.ElementTree(copy.deepcopy(tfd)))
    )


def signature_verifies(certificate: x509.Certificate, signature_b64: str, cadena: str) -> bool:
    try:
        certificate.public_key().verify(  # type: ignore[union-attr, call-arg]
            base64.b64decode(signature_b64), cadena.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def tfd_of(stamped_xml: bytes) -> etree._Element:
    return etree.fromstring(stamped_xml).find("cfdi:Complemento/tfd:TimbreFiscalDigital", NS)
