"""A fake Finkok: its SOAP envelopes, posted to the `.wsdl` URLs as satcfdi does (reference §2).

Catalogue of answers (each from Finkok's documented bodies, reference §2.3–§2.4 and phpcfdi/finkok):

| operation (SOAP) | answer |
|---|---|
| `stamp`, new bytes | `stampResult`: escaped `xml`, `UUID`, `Fecha`, `CodEstatus` "Comprobante timbrado satisfactoriamente", `SatSeal`, empty `Incidencias`, `NoCertificadoSAT` |
| `stamp`, same bytes again | Incidencia 307 "El CFDI contiene un timbre previo", with the original `xml`/`UUID` (today's behaviour), or with an empty `xml` and no UUID (`duplicate_answer = "without_xml"`, the 2019 answer phpcfdi documents) |
| `stamp`, invalid | empty `xml`, Incidencia with `CodigoError`/`MensajeIncidencia`; a CFDI 4.0 matrix error comes as 301 with "[Error #CFDI40xxx] …" in the message, as Finkok reported CFDI40101 |
| `stamp`, bad credentials | Incidencia 300 "Usuario y contraseña inválidos" ⚠ (not confirmed, reference §6) |
| `stamped` | the stored stamp with `CodEstatus` "Comprobante recibido satisfactoriamente", or Incidencia 603 "El CFDI no contiene un timbre previo" |
| `cancel_signature` | `Folios/Folio{UUID, EstatusUUID 201/202/205, EstatusCancelacion}`, escaped `Acuse`, `Fecha`, `RfcEmisor`; no `CodEstatus` (satcfdi reads any as an error) |
| `get_receipt` | `{success, uuid, receipt, taxpayer_id, date}` |
| utilities `datetime` | `{datetime}`, or `{error: "Invalid username or password"}` (phpcfdi's integration test) |

Operations for the control: "stamp", "recover" (`stamped`), "cancel", "receipt", "check" (`datetime`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from lxml import etree

from tests.fakes.core import StampingCore, acuse, read_cancelacion
from tests.fakes.server import Reply, Request
from timbra.cfdi.pac import PacRejected, StampResult
from timbra.cfdi.sandbox_checks import MEXICO_CITY, Taxpayer

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
APPS_NS = "apps.services.soap.core.views"
SERVICE_NS = {
    "stamp.wsdl": "http://facturacion.finkok.com/stamp",
    "cancel.wsdl": "http://facturacion.finkok.com/cancel",
    "utilities.wsdl": "http://facturacion.finkok.com/utilities",
}
OPERATIONS = {"stamp": "stamp", "quick_stamp": "stamp", "stamped": "recover", "cancel_signature": "cancel",
              "get_receipt": "receipt", "datetime": "check"}
NO_CERTIFICADO_SAT = "30001000000500003456"  # Finkok demo's, reference §2.3


class FakeFinkok:
    """Finkok's demo service, in-process. `username`/`password` are the only accepted credentials."""

    def __init__(self, home: Path, *, username: str = "timbra@example.com", password: str = "secreto",
                 clock: Callable[[], datetime] | None = None, extra_emisores: Iterable[Taxpayer] = ()) -> None:
        self.core = StampingCore(home, extra_emisores=extra_emisores, **({"clock": clock} if clock else {}))
        self.username = username
        self.password = password
        self.duplicate_answer = "with_xml"  # or "without_xml"

    # --- FakePac ------------------------------------------------------------------------------

    def operation(self, request: Request) -> str:
        body = _body_operation(request.body)
        return OPERATIONS.get(etree.QName(body).localname, "unknown") if body is not None else "unknown"

    def handle(self, request: Request) -> Reply:
        service = request.path.rstrip("/").rsplit("/", 1)[-1]
        body = _body_operation(request.body)
        if request.method != "POST" or service not in SERVICE_NS:
            return Reply(404, b"<html>Not Found</html>", "text/html")
        if body is None:
            return _fault("senv:Client", "No se pudo leer el sobre SOAP")
        op = etree.QName(body).localname
        fields = {etree.QName(child).localname: (child.text or "") for child in body}
        authenticated = fields.get("username") == self.username and fields.get("password") == self.password
        ns = SERVICE_NS[service]
        if op in ("stamp", "quick_stamp", "stamped"):
            return self._stamp_family(ns, op, fields, authenticated)
        if op == "cancel_signature":
            return self._cancel(ns, fields, authenticated)
        if op == "get_receipt":
            return _answer(ns, op, {"success": "true" if authenticated else "false",
                                    "uuid": fields.get("uuid", ""), "taxpayer_id": fields.get("taxpayer_id", ""),
                                    "receipt": acuse(fields.get("taxpayer_id", ""), fields.get("uuid", ""), "201",
                                                     self.core.clock()) if authenticated else "",
                                    "error": "" if authenticated else "Invalid username or password"})
        if op == "datetime":
            if not authenticated:
                return _answer(ns, op, {"error": "Invalid username or password"})
            return _answer(ns, op, {"datetime": self.core.clock().astimezone(MEXICO_CITY).strftime("%Y-%m-%dT%H:%M:%S")})
        return _fault("senv:Client", f"Operación desconocida {op}")

    def rejection(self, operation: str, code: str, message: str) -> Reply:
        if operation == "cancel":
            return _answer(SERVICE_NS["cancel.wsdl"], "cancel_signature", {"CodEstatus": f"{code} - {message}"})
        op = "stamped" if operation == "recover" else "stamp"
        return _stamp_answer(SERVICE_NS["stamp.wsdl"], op, None, [(code, message)])

    # --- operations -----------------------------------------------------------------------------

    def _stamp_family(self, ns: str, op: str, fields: dict[str, str], authenticated: bool) -> Reply:
        if not authenticated:
            return _stamp_answer(ns, op, None, [("300", "Usuario y contraseña inválidos")])
        try:
            signed = base64.b64decode(fields.get("xml", ""), validate=True)
        except (binascii.Error, ValueError):
            return _stamp_answer(ns, op, None, [("705", "XML Estructura inválida")])
        if op == "stamped":
            found = self.core.find(signed)
            if found is None:
                return _stamp_answer(ns, op, None, [("603", "El CFDI no contiene un timbre previo")])
            return _stamp_answer(ns, op, found, [], status="Comprobante recibido satisfactoriamente")
        try:
            result = self.core.stamp(signed)
        except PacRejected as exc:
            code, message = exc.code, exc.message
            if code.startswith("CFDI40"):
                code, message = "301", f"[Error #{exc.code}] {exc.message}"
            if code == "307":  # the XML sent already had a TimbreFiscalDigital
                code = "707"
            return _stamp_answer(ns, op, None, [(code, message)])
        if not result.already_stamped:
            return _stamp_answer(ns, op, result, [])
        duplicate = [("307", "El CFDI contiene un timbre previo")]
        if op == "quick_stamp" or self.duplicate_answer == "without_xml":
            return _stamp_answer(ns, op, None, duplicate * 2)
        return _stamp_answer(ns, op, result, duplicate)

    def _cancel(self, ns: str, fields: dict[str, str], authenticated: bool) -> Reply:
        if not authenticated:
            return _answer(ns, "cancel_signature", {"CodEstatus": "Usuario y contraseña inválidos"})
        try:
            rfc, uuid, _motivo = read_cancelacion(base64.b64decode(fields.get("xml", ""), validate=True))
        except (binascii.Error, ValueError, etree.XMLSyntaxError):
            return _answer(ns, "cancel_signature", {"CodEstatus": "711 - Error con el certificado al cancelar"})
        code = self.core.cancel(uuid)
        now = self.core.clock()
        folio = etree.Element(f"{{{APPS_NS}}}Folio")
        for name, value in (("UUID", uuid.upper()), ("EstatusUUID", code),
                            ("EstatusCancelacion", "Petición de cancelación realizada exitosamente"
                             if code == "201" else "")):
            etree.SubElement(folio, f"{{{APPS_NS}}}{name}").text = value
        folios = etree.Element(f"{{{APPS_NS}}}Folios")
        folios.append(folio)
        return _answer(ns, "cancel_signature", {
            "Folios": folios, "Acuse": acuse(rfc, uuid.upper(), code, now),
            "Fecha": now.astimezone(MEXICO_CITY).strftime("%Y-%m-%dT%H:%M:%S"), "RfcEmisor": rfc,
        })


def _body_operation(data: bytes) -> etree._Element | None:
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    body = root.find(f"{{{SOAP_NS}}}Body")
    return body[0] if body is not None and len(body) else None


def _stamp_answer(ns: str, op: str, result: StampResult | None, incidencias: list[tuple[str, str]],
                  status: str = "Comprobante timbrado satisfactoriamente") -> Reply:
    fields: dict[str, object] = {"xml": result.stamped_xml.decode("utf-8") if result else ""}
    if result is not None:
        fields |= {"UUID": result.uuid,
                   "Fecha": result.fecha_timbrado.strftime("%Y-%m-%dT%H:%M:%S"),
                   "CodEstatus": status, "SatSeal": _sello_sat(result.stamped_xml)}
    container = etree.Element(f"{{{APPS_NS}}}Incidencias")
    for code, message in incidencias:
        incidencia = etree.SubElement(container, f"{{{APPS_NS}}}Incidencia")
        for name, value in (("IdIncidencia", "fake"), ("Uuid", ""), ("CodigoError", code), ("WorkProcessId", "fake"),
                            ("MensajeIncidencia", message), ("ExtraInfo", ""), ("NoCertificadoPac", ""),
                            ("FechaRegistro", "2026-01-01T00:00:00")):
            etree.SubElement(incidencia, f"{{{APPS_NS}}}{name}").text = value
    fields["Incidencias"] = container  # always present: satcfdi iterates it unconditionally
    if result is not None:
        fields["NoCertificadoSAT"] = NO_CERTIFICADO_SAT
    return _answer(ns, op, fields)


def _sello_sat(stamped_xml: bytes) -> str:
    root = etree.fromstring(stamped_xml)
    tfd = root.find(".//{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital")
    return tfd.get("SelloSAT", "") if tfd is not None else ""


def _answer(ns: str, op: str, fields: dict[str, object]) -> Reply:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"senv": SOAP_NS, "s0": APPS_NS, "tns": ns})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    response = etree.SubElement(body, f"{{{ns}}}{op}Response")
    result = etree.SubElement(response, f"{{{ns}}}{op}Result")
    for name, value in fields.items():
        if isinstance(value, etree._Element):
            result.append(value)
        else:
            etree.SubElement(result, f"{{{APPS_NS}}}{name}").text = str(value)
    return Reply(200, etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"), "text/xml; charset=utf-8")


def _fault(code: str, message: str) -> Reply:
    body = (f'<?xml version="1.0" encoding="UTF-8"?><senv:Envelope xmlns:senv="{SOAP_NS}"><senv:Body><senv:Fault>'
            f"<faultcode>{code}</faultcode><faultstring>{message}</faultstring></senv:Fault></senv:Body></senv:Envelope>")
    return Reply(500, body.encode(), "text/xml; charset=utf-8")
