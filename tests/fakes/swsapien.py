"""A fake SW sapien: token login, stamp v4 with `customid`, cancel by signed XML, balance (reference §3).

Catalogue of answers (SW's documented bodies: developers.sw.com.mx "timbrado-customid", "error-codes",
lunasoft/sw-sdk-python tests, satcfdi's SW fixtures):

| request | answer |
|---|---|
| `POST /security/authenticate` (headers `user`, `password`; `//` accepted, as satcfdi sends it) or `POST /v2/security/authenticate` (JSON) | `{"data":{"token","expires_in"(epoch),"tokeny_type"},"status":"success"}`; bad credentials: HTTP 401 `AU2000 - El usuario y/o contraseña son inválidos, no se puede autenticar el servicio.` |
| any other request without a valid `Authorization: Bearer` | HTTP 401 `AU4101 - …` ⚠ (the code SW uses for an invalid token is not confirmed) |
| `POST /v4/cfdi33/stamp/v4` (multipart `xml`, header `customid`) | v4 `data`: `cfdi`, `cadenaOriginalSAT`, `noCertificadoSAT`, `noCertificadoCFDI`, `uuid`, `selloSAT`, `selloCFDI`, `fechaTimbrado`, `qrCode` |
| same XML again (same or no customid) | HTTP 400, `"307. El comprobante contiene un timbre previo."` with the original `data.tfd`/`data.cfdi` (`duplicate_answer = "messageDetail"` puts the CFDI in `messageDetail` as Odoo saw on v3/b64; `"none"` omits it) |
| same customid, different XML | HTTP 400 `CFDI3307 - Timbre duplicado. El customId proporcionado está duplicado.` |
| invalid CFDI | HTTP 400 `"<code> - <message>"` (SAT 30x/40x, `CFDI40xxx`) |
| `POST /cfdi33/cancel/xml` (multipart signed Cancelacion) | `{"data":{"acuse","uuid":{"<UUID>":"201"}},"status":"success"}` |
| `GET /management/v2/api/users/balance` | `{"data":{"idUserBalance","idUser","stampsBalance","stampsUsed","stampsAssigned","isUnlimited"},"status":"success"}` |

Operations for the control: "auth", "stamp", "cancel", "check".
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from lxml import etree

from tests.fakes.core import StampingCore, acuse, read_cancelacion
from tests.fakes.server import Reply, Request
from timbra.cfdi.pac import PacRejected
from timbra.cfdi.sandbox_checks import Taxpayer

TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"
AUTH_ERROR = "AU2000 - El usuario y/o contraseña son inválidos, no se puede autenticar el servicio."
TOKEN_ERROR = "AU4101 - El token proporcionado viene vacio o es inválido."


class FakeSW:
    """SW sapien's test services, in-process. Accepts `user`/`password` logins and the long-lived `token`."""

    def __init__(self, home: Path, *, user: str = "timbra@example.com", password: str = "secreto",
                 token: str = "token-infinito", clock: Callable[[], datetime] | None = None,
                 extra_emisores: Iterable[Taxpayer] = ()) -> None:
        self.core = StampingCore(home, extra_emisores=extra_emisores, **({"clock": clock} if clock else {}))
        self.user, self.password = user, password
        self._tokens = {token}
        self._customids: dict[str, str] = {}
        self._lock = threading.Lock()
        self.duplicate_answer = "data"  # or "messageDetail" or "none"

    def operation(self, request: Request) -> str:
        path = _path(request.path)
        if path.endswith("/security/authenticate"):
            return "auth"
        if "/stamp/" in path:
            return "stamp"
        if path.startswith("/cfdi33/cancel"):
            return "cancel"
        if path.endswith("/users/balance"):
            return "check"
        return "unknown"

    def handle(self, request: Request) -> Reply:
        operation = self.operation(request)
        if operation == "auth":
            return self._authenticate(request)
        if not self._authorized(request):
            return _error(401, TOKEN_ERROR)
        if operation == "stamp" and request.method == "POST":
            return self._stamp(request)
        if operation == "cancel" and request.method == "POST":
            return self._cancel(request)
        if operation == "check":
            used = self.core.stamp_count
            return _json(200, {"data": {"idUserBalance": "fake-balance", "idUser": "fake-user", "stampsBalance": 1000 - used,
                                        "stampsUsed": used, "stampsAssigned": 1000, "isUnlimited": False,
                                        "expirationDate": None}, "status": "success"})
        return _error(404, "Recurso no encontrado")

    def rejection(self, operation: str, code: str, message: str) -> Reply:
        return _error(401 if code.startswith("AU") else 400, f"{code} - {message}")

    # --- operations ---------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Reply:
        if _path(request.path).startswith("/v2/"):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = {}
            user, password = body.get("user"), body.get("password")
        else:
            user, password = request.headers.get("user"), request.headers.get("password")
        if (user, password) != (self.user, self.password):
            return _error(401, AUTH_ERROR)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens.add(token)
        return _json(200, {"data": {"token": token, "expires_in": int(time.time()) + 7200, "tokeny_type": "bearer"},
                           "status": "success"})

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        with self._lock:
            return header.startswith("Bearer ") and header.removeprefix("Bearer ").strip() in self._tokens

    def _stamp(self, request: Request) -> Reply:
        signed = _multipart_field(request, "xml")
        if signed is None:
            return _error(400, "CO1000 - No se encontró el campo xml en la solicitud.")
        customid = request.headers.get("customid")
        if customid:
            digest = hashlib.sha256(signed).hexdigest()
            with self._lock:
                known = self._customids.setdefault(customid, digest)
            if known != digest:
                return _error(400, "CFDI3307 - Timbre duplicado. El customId proporcionado está duplicado.")
        try:
            result = self.core.stamp(signed)
        except PacRejected as exc:
            return _error(400, f"{exc.code} - {exc.message}")
        cfdi = result.stamped_xml.decode("utf-8")
        tfd = etree.fromstring(result.stamped_xml).find(f".//{TFD}")
        if result.already_stamped:
            tfd_xml = etree.tostring(tfd, encoding="unicode") if tfd is not None else ""
            body: dict[str, Any] = {"status": "error", "message": "307. El comprobante contiene un timbre previo.",
                                    "messageDetail": None, "data": None}
            if self.duplicate_answer == "data":
                body["data"] = {"tfd": tfd_xml, "cfdi": cfdi}
            elif self.duplicate_answer == "messageDetail":
                body["messageDetail"] = cfdi
            return _json(400, body)
        assert tfd is not None
        return _json(200, {"data": {
            "cfdi": cfdi, "cadenaOriginalSAT": "", "noCertificadoSAT": tfd.get("NoCertificadoSAT"),
            "noCertificadoCFDI": etree.fromstring(result.stamped_xml).get("NoCertificado"), "uuid": result.uuid.lower(),
            "selloSAT": tfd.get("SelloSAT"), "selloCFDI": tfd.get("SelloCFD"),
            "fechaTimbrado": tfd.get("FechaTimbrado"), "qrCode": "",
        }, "status": "success"})

    def _cancel(self, request: Request) -> Reply:
        signed = _multipart_field(request, "xml")
        try:
            rfc, uuid, _motivo = read_cancelacion(signed or b"")
        except (ValueError, etree.XMLSyntaxError):
            return _error(400, "CACFDI33 - El XML de cancelación no es válido.")
        code = self.core.cancel(uuid)
        return _json(200, {"data": {"acuse": acuse(rfc, uuid.upper(), code, self.core.clock()),
                                    "uuid": {uuid.upper(): code}}, "status": "success"})


def _path(path: str) -> str:
    return re.sub(r"/{2,}", "/", path.split("?", 1)[0])  # satcfdi sends //security/authenticate


def _multipart_field(request: Request, name: str) -> bytes | None:
    content_type = request.headers.get("content-type", "")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + request.body)
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == name:
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


def _json(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps(body).encode(), "application/json; charset=utf-8")


def _error(status: int, message: str) -> Reply:
    return _json(status, {"status": "error", "message": message, "messageDetail": None, "data": None})
