"""A fake of the SAT's ConsultaCFDIService (the status service that says whether a CFDI is in force or
cancelled), speaking its SOAP, with answers shaped like the recorded ones in
reference/pacs-and-cancellation.md §5.5. It answers from a fake PAC's core: a CFDI the PAC stamped is
«Vigente», one whose cancellation the PAC received is «Cancelado» (sin aceptación: what the SAT
answers for público en general, amounts up to $1,000 and cancellations within the next business
day), anything else «No Encontrado»."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.fakes.core import StampingCore

FOUND = "S - Comprobante obtenido satisfactoriamente."


def answer(codigo: str, estado: str, cancelable: str = "", estatus: str = "", efos: str = "200") -> bytes:
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<ConsultaResponse xmlns="http://tempuri.org/"><ConsultaResult '
        'xmlns:a="http://schemas.datacontract.org/2004/07/Sat.Cfdi.Negocio.ConsultaCfdi.Servicio" '
        'xmlns:i="http://www.w3.org/2001/XMLSchema-instance">'
        f"<a:CodigoEstatus>{codigo}</a:CodigoEstatus><a:EsCancelable>{cancelable}</a:EsCancelable>"
        f"<a:Estado>{estado}</a:Estado><a:EstatusCancelacion>{estatus}</a:EstatusCancelacion>"
        f"<a:ValidacionEFOS>{efos}</a:ValidacionEFOS></ConsultaResult></ConsultaResponse></s:Body></s:Envelope>"
    ).encode()


def _answer_for(core: StampingCore, uuid: str) -> bytes:
    uuid = uuid.upper()
    if core.cancellations.get(uuid):
        return answer(FOUND, "Cancelado", "", "Cancelado sin aceptación")
    if uuid in core.stamps:
        return answer(FOUND, "Vigente", "Cancelable sin aceptación")
    return answer("N - 602: Comprobante no encontrado.", "No Encontrado")


@contextlib.contextmanager
def serve_sat_status(core: StampingCore) -> Iterator[str]:
    """Run the fake on 127.0.0.1; yields its ConsultaCFDIService URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            match = re.search(r"id=([0-9A-Fa-f-]{36})", body)
            content = _answer_for(core, match.group(1)) if match else answer("N - 601: La expresión impresa "
                                                                              "proporcionada no es válida.", "")
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ConsultaCFDIService.svc"
    finally:
        server.shutdown()
        server.server_close()
