"""What the sandbox PAC checks before it stamps, in the order a real PAC checks it.

Every failure raises `PacRejected` with the code a real PAC or the SAT uses:

| check | code | source |
|---|---|---|
| not XML, DOCTYPE, not a Comprobante 4.0, fails the SAT's XSD | 301 "XML mal formado" | PAC validations (Anexo 20) |
| Certificado unreadable | 302 "Sello mal formado o inválido" | PAC validations |
| Sello does not verify over the cadena original | CFDI40102 | Matriz de errores CFDI 4.0 |
| certificate RFC is not the Emisor's Rfc | 303 "Sello no corresponde a emisor" | PAC validations |
| Fecha outside the CSD's validity | 305 | PAC validations |
| Fecha older than 72 h or in the future | 401 | PAC validations; Finkok's error table |
| emisor not in the registry / name / régimen | 402 / CFDI40139 / CFDI40141 | PAC validations; Matriz |
| receptor not in the registry / name / CP / régimen | CFDI40143 / 40145 / 40147 / 40158 | Matriz; real PAC answers |
| generic RFC: CP, régimen, UsoCFDI | CFDI40149 / 40159 / 40161 | Matriz; SW sapien answers |
| InformacionGlobal: missing for PUBLICO EN GENERAL, periodicidad, meses, año | CFDI40130-40136 | Matriz; NTLink SDK tests |

Third-party code maps some numbers inconsistently (reference/cfdi.md §4): CP mismatches come back
as CFDI40147 from some PACs and CFDI40148 from others; we answer CFDI40147.

This module keeps private, minimal equivalents of XSD validation, cadena original and Sello
verification (the shared `timbra.cfdi.xml` did not exist yet when the sandbox was written).
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import satcfdi.transform
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from satcfdi.catalogs import select as catalog_select

from timbra.cfdi.pac import PacRejected
from timbra.cfdi.sat_schema import CfdiSchema, without_addenda

NS_CFDI = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"
MEXICO_CITY = ZoneInfo("America/Mexico_City")
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})
STAMPING_WINDOW = timedelta(hours=72)

# The SAT schemas satcfdi ships, by namespace. Complemento's xs:any is processContents="strict", so a
# complement whose schema is not loaded here is rejected, as a PAC rejects a complement it does not know.
_SCHEMA_ROOT = (
    Path(satcfdi.transform.__file__).parent / "schemas" / "www.sat.gob.mx" / "sitio_internet" / "cfd"
)
_SCHEMAS = {
    NS_CFDI: "4/cfdv40.xsd",
    NS_TFD: "TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
    "http://www.sat.gob.mx/Pagos20": "Pagos/Pagos20.xsd",
    "http://www.sat.gob.mx/implocal": "implocal/implocal.xsd",
    "http://www.sat.gob.mx/leyendasFiscales": "leyendasFiscales/leyendasFisc.xsd",
}
# c_CodigoPostal's "huso horario" (the column the SAT publishes so a PAC can read Fecha as local time).
_HUSOS = {
    "Tiempo del Centro": "America/Mexico_City",
    "Tiempo del Centro en Frontera": "America/Matamoros",  # Central time with US DST (border strip)
    "Tiempo del Noroeste": "America/Tijuana",
    "Tiempo del Pacífico": "America/Mazatlan",
    "Tiempo del Sureste": "America/Cancun",
}
_HUSOS_BY_STATE = {
    ("Tiempo del Pacífico", "SON"): "America/Hermosillo",
    ("Tiempo del Centro en Frontera", "CHH"): "America/Ciudad_Juarez",
}


@dataclass(frozen=True)
class Taxpayer:
    """One row of the SAT's registry as a PAC test service knows it (sat/test-taxpayers.csv)."""

    rfc: str
    nombre: str
    regimen_fiscal: str
    codigo_postal: str


def load_test_taxpayers(path: Path) -> dict[str, Taxpayer]:
    """Read `rfc,nombre,regimen_fiscal,codigo_postal` rows into a mapping keyed by RFC."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [Taxpayer(**{k: (v or "").strip() for k, v in row.items()}) for row in csv.DictReader(fh)]
    return {row.rfc: row for row in rows}


# --- parsing and schema --------------------------------------------------------------------------

_local = threading.local()
_schema_lock = threading.Lock()  # XMLSchema keeps its error log on the object: one validation at a time


def _parser() -> etree.XMLParser:
    # lxml parsers are not safe to share between threads; one hardened parser per thread
    # (reliability.md §3.6: no entities, no DTD, no network, no huge trees).
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        _local.parser = parser
    return parser


def parse_signed_xml(signed_xml: bytes) -> etree._Element:
    """Parse the CFDI with the hardened parser; anything but a plain Comprobante 4.0 is 301."""
    try:
        root = etree.fromstring(signed_xml, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise PacRejected("301", f"XML mal formado: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise PacRejected("301", "XML mal formado: no se admiten DOCTYPE, DTD ni entidades.")
    if root.tag != f"{{{NS_CFDI}}}Comprobante":
        raise PacRejected("301", "XML mal formado: el nodo raíz debe ser cfdi:Comprobante versión 4.0.")
    return root


@functools.cache
def compiled_schema() -> CfdiSchema:
    """The CFDI XSD, compiled once per process (~0.4 s; satcfdi's own validation recompiles it
    on every call). `invoicing.warm` compiles it before the worker processes fork."""
    return CfdiSchema(_SCHEMA_ROOT, _SCHEMAS)


def validate_xsd(root: etree._Element) -> None:
    """Validate against the SAT's XSD (catalog enumerations included); failures are 301."""
    schema = compiled_schema()
    with _schema_lock:
        violation = schema.validate(without_addenda(root, f"{{{NS_CFDI}}}Addenda"))
    if violation is not None:
        detail = f"línea {violation.line}: {violation.message}"
        raise PacRejected("301", f"XML mal formado: no cumple el esquema XSD del SAT ({detail}).")


# --- sello ------------------------------------------------------------------------------------------


def cadena_original(root: etree._Element) -> str:
    """The Comprobante's cadena original, rendered by the SAT's cadenaoriginal_4_0.xslt."""
    return str(compiled_cadena_xslt()(root))


def compiled_cadena_xslt() -> etree.XSLT:
    """cadenaoriginal_4_0.xslt, compiled once per process by satcfdi."""
    return satcfdi.transform.xslt_transform(f"{{{NS_CFDI}}}Comprobante", "4.0")


@functools.lru_cache(maxsize=256)
def _certificate(certificado_b64: str) -> x509.Certificate:
    return x509.load_der_x509_certificate(base64.b64decode(certificado_b64, validate=True))


def certificate_rfc(certificate: x509.Certificate) -> str:
    """The RFC the SAT writes in x500UniqueIdentifier ("RFC / RFC del representante")."""
    values = certificate.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    return str(values[0].value).split("/")[0].strip() if values else ""


def verify_sello(root: etree._Element) -> x509.Certificate:
    """Check the Sello (RSA-SHA256 over the cadena original) with the embedded Certificado.

    Returns the certificate so later checks can use it.
    """
    try:
        certificate = _certificate("".join(root.get("Certificado", "").split()))
    except (ValueError, binascii.Error) as exc:
        raise PacRejected(
            "302", "Sello mal formado o inválido: el campo Certificado no contiene un certificado válido."
        ) from exc
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise PacRejected("302", "Sello mal formado o inválido: el certificado no es RSA.")
    try:
        signature = base64.b64decode("".join(root.get("Sello", "").split()), validate=True)
        public_key.verify(
            signature, cadena_original(root).encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise PacRejected(
            "CFDI40102",
            "El resultado de la digestión debe ser igual al resultado de la desencripción del sello.",
        ) from exc
    emisor_rfc = root.find(f"{{{NS_CFDI}}}Emisor").get("Rfc")
    if certificate_rfc(certificate) != emisor_rfc:
        raise PacRejected(
            "303", "Sello no corresponde a emisor: el RFC del certificado no es el Rfc del Emisor."
        )
    return certificate


# --- time ---------------------------------------------------------------------------------------------


def zone_for_codigo_postal(codigo_postal: str) -> ZoneInfo:
    """The time zone of a c_CodigoPostal, from the catalog's huso horario; Mexico City if unknown."""
    try:
        row = catalog_select("C756_c_CodigoPostal", codigo_postal)
    except Exception:  # satcfdi's catalog raises various errors for unknown keys
        row = None
    if not row:
        return MEXICO_CITY
    estado, huso = row[0], row[4]
    name = _HUSOS_BY_STATE.get((huso, estado)) or _HUSOS.get(huso, "America/Mexico_City")
    return ZoneInfo(name)


def fecha_emision(root: etree._Element) -> datetime:
    """Fecha as an aware datetime: Anexo 20 says it is local time where the CFDI is issued."""
    fecha = datetime.fromisoformat(root.get("Fecha", ""))
    return fecha.replace(tzinfo=zone_for_codigo_postal(root.get("LugarExpedicion", "")))


def check_certificate_validity(certificate: x509.Certificate, fecha: datetime) -> None:
    """305: the CSD must be valid at Fecha (not at stamping time)."""
    if not certificate.not_valid_before_utc <= fecha <= certificate.not_valid_after_utc:
        raise PacRejected("305", "La fecha de emisión no está dentro de la vigencia del CSD del Emisor.")


def check_stamping_window(fecha: datetime, now: datetime) -> None:
    """401: Fecha at most 72 h before the stamp and never in the future."""
    if fecha > now:
        raise PacRejected("401", "Fecha y hora de generación fuera de rango: la Fecha está en el futuro.")
    if now - fecha > STAMPING_WINDOW:
        raise PacRejected(
            "401", "Fecha y hora de generación fuera de rango: han pasado más de 72 horas desde la Fecha."
        )


# --- registry (LCO / l_RFC as the PAC test services know it) -------------------------------------------


def _same_name(given: str, registered: str) -> bool:
    # XSD whiteSpace="collapse" on Nombre; the comparison itself is exact, as the SAT's is.
    return " ".join(given.split()) == " ".join(registered.split())


def check_emisor(root: etree._Element, registry: Mapping[str, Taxpayer]) -> None:
    """The emisor must be a registered taxpayer with its registered name and régimen."""
    emisor = root.find(f"{{{NS_CFDI}}}Emisor")
    registered = registry.get(emisor.get("Rfc", ""))
    if registered is None:
        raise PacRejected("402", "RFC del emisor no se encuentra en el régimen de contribuyentes.")
    if not _same_name(emisor.get("Nombre", ""), registered.nombre):
        raise PacRejected(
            "CFDI40139",
            "El campo Nombre del emisor, debe pertenecer al nombre asociado al RFC registrado en el campo Rfc del Emisor.",
        )
    if emisor.get("RegimenFiscal") != registered.regimen_fiscal:
        raise PacRejected(
            "CFDI40141",
            "La clave del campo RegimenFiscal debe corresponder con el régimen registrado para el RFC del Emisor.",
        )


def check_receptor(root: etree._Element, registry: Mapping[str, Taxpayer]) -> None:
    """The receptor's RFC, name, CP and régimen must match the registry (CFDI 4.0's big change)."""
    receptor = root.find(f"{{{NS_CFDI}}}Receptor")
    rfc = receptor.get("Rfc", "")
    if rfc in GENERIC_RFCS:
        _check_generic_receptor(receptor, root.get("LugarExpedicion", ""))
        return
    registered = registry.get(rfc)
    if registered is None:
        raise PacRejected(
            "CFDI40143", "Este RFC del receptor no existe en la lista de RFC inscritos no cancelados del SAT."
        )
    if not _same_name(receptor.get("Nombre", ""), registered.nombre):
        raise PacRejected(
            "CFDI40145",
            "El campo Nombre del receptor, debe pertenecer al nombre asociado al RFC registrado en el campo Rfc del Receptor.",
        )
    if receptor.get("DomicilioFiscalReceptor") != registered.codigo_postal:
        raise PacRejected(
            "CFDI40147",
            "El campo DomicilioFiscalReceptor del receptor, debe encontrarse en la lista de RFC inscritos no cancelados en el SAT.",
        )
    if receptor.get("RegimenFiscalReceptor") != registered.regimen_fiscal:
        raise PacRejected(
            "CFDI40158",
            "La clave del campo RegimenFiscalR debe corresponder con el régimen registrado para el RFC del receptor.",
        )


def _check_generic_receptor(receptor: etree._Element, lugar_expedicion: str) -> None:
    # Anexo 20 for XAXX010101000 / XEXX010101000: the CP is the issuer's LugarExpedicion, régimen 616
    # "Sin obligaciones fiscales", and c_UsoCFDI allows only S01 (or CP01 on a payment) for 616.
    if receptor.get("DomicilioFiscalReceptor") != lugar_expedicion:
        raise PacRejected(
            "CFDI40149", "El campo DomicilioFiscalReceptor, no es igual al valor del campo LugarExpedicion."
        )
    if receptor.get("RegimenFiscalReceptor") != "616":
        raise PacRejected(
            "CFDI40159", "La clave del campo RegimenFiscalR no corresponde de acuerdo al RFC del receptor."
        )
    if receptor.get("UsoCFDI") not in {"S01", "CP01"}:
        raise PacRejected(
            "CFDI40161",
            "La clave del campo UsoCFDI debe corresponder con el tipo de persona (física o moral) y el régimen del receptor.",
        )


def check_informacion_global(root: etree._Element) -> None:
    """CFDI40130-CFDI40136: the global invoice's InformacionGlobal (reference/portal-csf-global.md §2.3)."""
    receptor = root.find(f"{{{NS_CFDI}}}Receptor")
    info = root.find(f"{{{NS_CFDI}}}InformacionGlobal")
    publico = receptor.get("Rfc") == "XAXX010101000" and receptor.get("Nombre") == "PUBLICO EN GENERAL"
    if info is None:
        if publico:
            raise PacRejected(
                "CFDI40130",
                "Si el atributo Rfc del receptor contiene XAXX010101000 y el Nombre PUBLICO EN GENERAL, "
                "el nodo InformacionGlobal debe existir.",
            )
        return
    periodicidad, meses = info.get("Periodicidad", ""), info.get("Meses", "")
    if periodicidad not in {"01", "02", "03", "04", "05"}:
        raise PacRejected("CFDI40131", "El campo Periodicidad no contiene un valor del catálogo c_Periodicidad.")
    regimen = root.find(f"{{{NS_CFDI}}}Emisor").get("RegimenFiscal")
    if periodicidad == "05" and regimen != "621":
        raise PacRejected("CFDI40132", "El campo Periodicidad no contiene el valor 05 o el RegimenFiscal no contiene el valor 621.")
    if meses not in {f"{m:02d}" for m in range(1, 19)}:
        raise PacRejected("CFDI40133", "El campo Meses no contiene un valor del catálogo c_Meses.")
    if periodicidad != "05" and not "01" <= meses <= "12":
        raise PacRejected("CFDI40134", "El campo Meses no contiene un valor del 01 al 12.")
    if periodicidad == "05" and not "13" <= meses <= "18":
        raise PacRejected("CFDI40135", "El campo Meses no contiene un valor del 13 al 18.")
    year = datetime.fromisoformat(root.get("Fecha", "")).year
    if info.get("Año") not in {str(year), str(year - 1)}:
        raise PacRejected(
            "CFDI40136", "El campo Año debe ser igual al año en curso o al año inmediato anterior a la Fecha."
        )


def read_tfd(root: etree._Element) -> etree._Element | None:
    """The TimbreFiscalDigital inside cfdi:Complemento, if any."""
    return root.find(f"{{{NS_CFDI}}}Complemento/{{{NS_TFD}}}TimbreFiscalDigital")
