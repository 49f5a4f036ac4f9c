"""Reading CFDI XML safely: one hardened parser, cached XSD and XSLT, sello check.

Everything here accepts untrusted bytes (uploads, PAC answers). The SAT schemas and the
cadena original XSLT default to the copies satcfdi ships (byte-for-byte the same content
as SAT's official files; a test pins that); pass `schema_root` to use another copy of
SAT's `sitio_internet` tree, e.g. `settings.TIMBRA_SAT_DIR / "sitio_internet"`.

Compiled schemas and stylesheets are cached per process: satcfdi recompiles the XSD on
every `to_xml(validate=True)` (250-400 ms, reference/cfdi.md gotcha 1); a cached
validation takes a few milliseconds. lxml runs one XMLSchema or XSLT from several
threads safely (each call gets its own validation/transform context).
"""

from __future__ import annotations

import base64
import binascii
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import satcfdi.transform
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
PAGOS_NS = "http://www.sat.gob.mx/Pagos20"
COMPROBANTE_TAG = f"{{{CFDI_NS}}}Comprobante"
TFD_TAG = f"{{{TFD_NS}}}TimbreFiscalDigital"
_XS = "http://www.w3.org/2001/XMLSchema"

DEFAULT_SCHEMA_ROOT = Path(satcfdi.transform.SCHEMA_ROOT) / "www.sat.gob.mx" / "sitio_internet"

# Schemas we validate against, by namespace, relative to sitio_internet/. A namespace not
# listed here is not imported, so the strict xs:any of cfdi:Complemento rejects it.
_XSD_BY_NAMESPACE = {
    CFDI_NS: "cfd/4/cfdv40.xsd",
    TFD_NS: "cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
    PAGOS_NS: "cfd/Pagos/Pagos20.xsd",
}
_XSLT_BY_ROOT = {
    COMPROBANTE_TAG: "cfd/4/cadenaoriginal_4_0/cadenaoriginal_4_0.xslt",
    TFD_TAG: "cfd/TimbreFiscalDigital/cadenaoriginal_TFD_1_1.xslt",
}

_compile_lock = threading.Lock()


class UnsafeXml(ValueError):
    """The bytes are not a plain XML document we are willing to read."""


class XsdValidationError(ValueError):
    """The document does not follow SAT's XSD; `errors` lists each problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        detail = "; ".join(errors[:10]) + (f" (y {len(errors) - 10} más)" if len(errors) > 10 else "")
        super().__init__(f"El XML no cumple con el esquema del SAT: {detail}")


def make_parser() -> etree.XMLParser:
    """A new hardened parser: no entities, no DTD, no network, no huge trees.

    lxml parsers must not be shared between threads, hence a factory.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
    )


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML bytes with `make_parser`, refusing any DOCTYPE."""
    if not isinstance(data, bytes):
        raise TypeError("parse_xml takes bytes")
    try:
        root = etree.fromstring(data, parser=make_parser())
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"XML mal formado: {exc}") from exc
    docinfo = root.getroottree().docinfo
    # A DOCTYPE is the door to entity expansion and external fetches; CFDI never has one.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeXml("El XML contiene una declaración DOCTYPE, no permitida")
    return root


def _root_of(xml: bytes | etree._Element) -> etree._Element:
    return parse_xml(xml) if isinstance(xml, bytes) else xml


@lru_cache(maxsize=16)
def _schema(schema_root: Path, namespaces: frozenset[str]) -> etree.XMLSchema:
    wrapper = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    for namespace in sorted(namespaces):
        location = (schema_root / _XSD_BY_NAMESPACE[namespace]).as_uri()
        etree.SubElement(wrapper, f"{{{_XS}}}import", namespace=namespace, schemaLocation=location)
    with _compile_lock:
        return etree.XMLSchema(wrapper)


def _namespaces_in(root: etree._Element) -> frozenset[str]:
    found = {etree.QName(el).namespace for el in root.iter(etree.Element)}
    return frozenset(ns for ns in found if ns in _XSD_BY_NAMESPACE)


def validate_xsd(xml: bytes | etree._Element, schema_root: Path | None = None) -> None:
    """Raise `XsdValidationError` unless `xml` follows SAT's XSD (CFDI 4.0, TFD 1.1, Pagos 2.0)."""
    root = _root_of(xml)
    schema = _schema((schema_root or DEFAULT_SCHEMA_ROOT).resolve(), _namespaces_in(root))
    if not schema.validate(root):
        raise XsdValidationError([f"línea {e.line}: {e.message}" for e in schema.error_log])


@lru_cache(maxsize=8)
def _xslt(path: Path) -> etree.XSLT:
    access = etree.XSLTAccessControl(
        read_file=True, write_file=False, create_dir=False, read_network=False, write_network=False
    )
    with _compile_lock:
        return etree.XSLT(etree.parse(str(path), parser=make_parser()), access_control=access)


def compile_stylesheets(schema_root: Path | None = None) -> None:
    """Compile every cadena original XSLT now (`invoicing.warm`), not on the first invoice."""
    for relative in _XSLT_BY_ROOT.values():
        _xslt(((schema_root or DEFAULT_SCHEMA_ROOT) / relative).resolve())


def cadena_original(xml: bytes | etree._Element, schema_root: Path | None = None) -> str:
    """SAT's cadena original of a Comprobante 4.0 or a TimbreFiscalDigital 1.1."""
    root = _root_of(xml)
    relative = _XSLT_BY_ROOT.get(root.tag)
    if relative is None:
        raise UnsafeXml(f"No hay cadena original para el elemento {root.tag}")
    transform = _xslt(((schema_root or DEFAULT_SCHEMA_ROOT) / relative).resolve())
    return str(transform(root))


def certificate_number(certificate: x509.Certificate) -> str:
    """SAT's NoCertificado: the serial number's bytes read as ASCII digits."""
    return f"{certificate.serial_number:x}"[1::2]


def verify_sello(xml: bytes, schema_root: Path | None = None) -> bool:
    """True when the Comprobante's Sello is the RSA-SHA256 of its cadena original under
    the embedded Certificado, and NoCertificado names that certificate."""
    root = parse_xml(xml)
    if root.tag != COMPROBANTE_TAG:
        return False
    try:
        certificate = x509.load_der_x509_certificate(
            base64.b64decode(root.get("Certificado", ""), validate=True)
        )
        signature = base64.b64decode(root.get("Sello", ""), validate=True)
    except (ValueError, binascii.Error):
        return False
    if certificate_number(certificate) != root.get("NoCertificado"):
        return False
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        return False
    data = cadena_original(root, schema_root).encode("utf-8")
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class ComprobanteSummary:
    """The facts other parts of Timbra read from a CFDI (PDF, QR, PAC answers, imports)."""

    version: str
    uuid: str | None  # only once stamped (TimbreFiscalDigital)
    serie: str | None
    folio: str | None
    fecha: datetime
    tipo_de_comprobante: str
    moneda: str
    sub_total: Decimal
    total: Decimal
    rfc_emisor: str
    nombre_emisor: str
    rfc_receptor: str
    nombre_receptor: str
    no_certificado: str
    sello: str
    fecha_timbrado: datetime | None
    no_certificado_sat: str | None


def _required(element: etree._Element | None, name: str) -> str:
    value = None if element is None else element.get(name)
    if value is None:
        raise UnsafeXml(f"Falta el atributo {name} en el comprobante")
    return value


def read_comprobante(xml: bytes) -> ComprobanteSummary:
    """Summary of a (possibly stamped) Comprobante 4.0; does not validate it."""
    root = parse_xml(xml)
    if root.tag != COMPROBANTE_TAG:
        raise UnsafeXml("El XML no es un Comprobante CFDI 4.0")
    emisor = root.find(f"{{{CFDI_NS}}}Emisor")
    receptor = root.find(f"{{{CFDI_NS}}}Receptor")
    tfd = root.find(f"{{{CFDI_NS}}}Complemento/{TFD_TAG}")
    try:
        return ComprobanteSummary(
            version=_required(root, "Version"),
            uuid=None if tfd is None else _required(tfd, "UUID").upper(),
            serie=root.get("Serie"),
            folio=root.get("Folio"),
            fecha=datetime.fromisoformat(_required(root, "Fecha")),
            tipo_de_comprobante=_required(root, "TipoDeComprobante"),
            moneda=_required(root, "Moneda"),
            sub_total=Decimal(_required(root, "SubTotal")),
            total=Decimal(_required(root, "Total")),
            rfc_emisor=_required(emisor, "Rfc"),
            nombre_emisor=_required(emisor, "Nombre"),
            rfc_receptor=_required(receptor, "Rfc"),
            nombre_receptor=_required(receptor, "Nombre"),
            no_certificado=root.get("NoCertificado", ""),
            sello=root.get("Sello", ""),
            fecha_timbrado=None if tfd is None else datetime.fromisoformat(_required(tfd, "FechaTimbrado")),
            no_certificado_sat=None if tfd is None else tfd.get("NoCertificadoSAT"),
        )
    except UnsafeXml:
        raise
    except (ValueError, InvalidOperation) as exc:
        raise UnsafeXml(f"Valor no válido en el comprobante: {exc}") from exc
