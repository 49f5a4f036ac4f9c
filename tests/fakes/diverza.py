"""A fake Diverza: JSON stamping with RefID, cancellation, RFC status (satcfdi's `Diverza` client).

Catalogue of answers (satcfdi's Diverza tests and desarrolladores.diverza.com/timbre/refid.html):

| request | answer |
|---|---|
| `POST /api/v2/documents/stamp` `{credentials{id,token}, issuer{rfc}, document{certificate-number, section, format:"xml", type, content(base64), template, ref-id}}` | `{"uuid", "ref-id", "content": base64 of the stamped CFDI}` |
| same `ref-id` again | the same answer as the first time ("one folio fiscal per RefID") |
| same bytes, no `ref-id` | HTTP 400 `{"code": "307", "message": "El CFDI contiene un timbre previo"}` ⚠ |
| invalid CFDI | HTTP 400 `{"code": "<code>", "message": "…"}` ⚠ (Diverza's error body is not public: shape assumed) |
| bad `credentials` | HTTP 401 `{"code": "401", "message": "Credenciales inválidas"}` ⚠ |
| `PUT /api/v2/documents/{uuid}/cancel` | `{"status": "canceled", "uuid"}` (satcfdi reads only `status`); unknown UUID: 404 |
| `POST /api/v1/rfc/status` | `{"identifiers": [{"rfc", "active": "Y"}]}` |

Operations for the control: "stamp", "cancel", "check".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.fakes.core import StampingCore
from tests.fakes.server import Reply, Request
from timbra.cfdi.pac import PacRejected
from timbra.cfdi.sandbox_checks import Taxpayer

_CANCEL = re.compile(r"^/api/v[12]/documents/([0-9A-Fa-f-]{36})/cancel$")


class FakeDiverza:
    """Diverza's demo services, in-process. Accepts only `client_id`/`token`."""

    def __init__(self, home: Path, *, client_id: str = "3935", token: str = "ABCD1234",
                 clock: Callable[[], datetime] | None = None, extra_emisores: Iterable[Taxpayer] = ()) -> None:
        self.core = StampingCore(home, extra_emisores=extra_emisores, **({"clock": clock} if clock else {}))
        self.client_id, self.token = client_id, token
        self._refids: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def operation(self, request: Request) -> str:
        path = request.path.split("?", 1)[0]
        if path.endswith("/documents/stamp"):
            return "stamp"
        if _CANCEL.match(path):
            return "cancel"
        if path.endswith("/rfc/status"):
            return "check"
        return "unknown"

    def handle(self, request: Request) -> Reply:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return _json(400, {"code": "400", "message": "JSON inválido"})
        credentials = body.get("credentials") or {}
        if (str(credentials.get("id")), credentials.get("token")) != (self.client_id, self.token):
            return _json(401, {"code": "401", "message": "Credenciales inválidas"})
        operation = self.operation(request)
        if operation == "stamp" and request.method == "POST":
            return self._stamp(body)
        if operation == "cancel" and request.method == "PUT":
            match = _CANCEL.match(request.path.split("?", 1)[0])
            assert match is not None
            code = self.core.cancel(match.group(1))
            if code == "205":
                return _json(404, {"code": "404", "message": "Documento no encontrado"})
            return _json(200, {"status": "canceled", "uuid": match.group(1).lower()})
        if operation == "check" and request.method == "POST":
            return _json(200, {"identifiers": [{"rfc": i.get("rfc"), "active": "Y"} for i in body.get("identifiers", [])]})
        return _json(404, {"code": "404", "message": "Recurso no encontrado"})

    def rejection(self, operation: str, code: str, message: str) -> Reply:
        return _json(401 if code == "401" else 400, {"code": code, "message": message})

    def _stamp(self, body: dict[str, Any]) -> Reply:
        document = body.get("document") or {}
        ref_id = document.get("ref-id")
        with self._lock:
            if ref_id and ref_id in self._refids:
                return _json(200, self._refids[ref_id])
        try:
            signed = base64.b64decode(document.get("content", ""), validate=True)
        except (binascii.Error, ValueError):
            return _json(400, {"code": "301", "message": "El contenido no está en base64"})
        try:
            result = self.core.stamp(signed)
        except PacRejected as exc:
            return _json(400, {"code": exc.code, "message": exc.message})
        if result.already_stamped and not ref_id:
            return _json(400, {"code": "307", "message": "El CFDI contiene un timbre previo"})
        answer = {"uuid": result.uuid.lower(), "ref-id": ref_id,
                  "content": base64.b64encode(result.stamped_xml).decode()}
        if ref_id:
            with self._lock:
                answer = self._refids.setdefault(ref_id, answer)
        return _json(200, answer)


def _json(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps(body).encode(), "application/json; charset=utf-8")
