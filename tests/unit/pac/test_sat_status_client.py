"""SatConsulta (satcfdi's SAT status client with a URL and a timeout) against a fake SAT on localhost
that speaks ConsultaCFDIService's SOAP, with answers shaped like the recorded ones in
reference/pacs-and-cancellation.md §5.5 (phpcfdi/sat-estado-cfdi's fixture)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.fakes.sat_status import answer
from timbra.cfdi.sat_status import SatConsulta, SatUnavailable, StatusQuery
from timbra.domain.cancellation import Outcome

QUERY = StatusQuery(uuid="AF124DC7-1B3B-4A53-8F44-3A6C2B6F6D01", emisor_rfc="EKU9003173C9",
                    receptor_rfc="URE180429TM6", total="1158.84")
SOAP_ACTION = "http://tempuri.org/IConsultaCFDIService/Consulta"


class FakeSat(BaseHTTPRequestHandler):
    """Answers by UUID from `catalogue`; records what it was sent."""

    catalogue: dict[str, tuple[int, bytes] | str] = {}
    received: list[tuple[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((self.headers.get("SOAPAction", ""), body))
        expression = re.search(r"<!\[CDATA\[(.*?)\]\]>", body).group(1)
        uuid = expression.rsplit("id=", 1)[1]
        reply = self.catalogue.get(uuid, (200, answer("N - 602: Comprobante no encontrado.", "No Encontrado")))
        if reply == "slow":
            time.sleep(1.5)
            reply = (200, answer("S - Comprobante obtenido satisfactoriamente.", "Vigente"))
        if reply == "drop":
            self.connection.close()
            return
        status, content = reply
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sat() -> Iterator[str]:
    FakeSat.catalogue, FakeSat.received = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ConsultaCFDIService.svc"
    server.shutdown()
    server.server_close()


def test_a_valid_cfdi_is_vigente_and_the_request_is_the_expression_satcfdi_sends(sat):
    FakeSat.catalogue[QUERY.uuid] = (200, answer("S - Comprobante obtenido satisfactoriamente.", "Vigente",
                                                 "Cancelable con aceptación", "Solicitud rechazada"))
    status = SatConsulta(sat).status(QUERY)
    assert (status.estado, status.es_cancelable, status.outcome()) == ("Vigente", "Cancelable con aceptación",
                                                                      Outcome.REJECTED)
    action, body = FakeSat.received[0]
    assert action == SOAP_ACTION
    assert f"?re=EKU9003173C9&rr=URE180429TM6&tt=1158.84&id={QUERY.uuid}" in body


def test_a_cancelled_cfdi_reads_cancelado(sat):
    FakeSat.catalogue[QUERY.uuid] = (200, answer("S - Comprobante obtenido satisfactoriamente.", "Cancelado",
                                                 "Cancelable con aceptación", "Plazo vencido"))
    assert SatConsulta(sat).status(QUERY).outcome() == Outcome.CANCELLED


def test_an_unknown_cfdi_is_not_found(sat):
    status = SatConsulta(sat).status(QUERY)
    assert status.found is False and status.outcome() == Outcome.UNKNOWN


@pytest.mark.parametrize("reply", [(500, b"<html>Service Unavailable</html>"), "slow", "drop", (200, b"not xml")])
def test_no_usable_answer_is_unavailable_never_a_guess(sat, reply):
    FakeSat.catalogue[QUERY.uuid] = reply
    with pytest.raises(SatUnavailable):
        SatConsulta(sat, timeout=0.5).status(QUERY)


def test_a_query_is_read_from_the_stamped_xml():
    xml = (b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" Total="1158.84">'
           b'<cfdi:Emisor Rfc="EKU9003173C9"/><cfdi:Receptor Rfc="URE180429TM6"/><cfdi:Complemento>'
           b'<tfd:TimbreFiscalDigital xmlns:tfd="http://www.sat.gob.mx/TimbreFiscalDigital" '
           b'UUID="af124dc7-1b3b-4a53-8f44-3a6c2b6f6d01"/></cfdi:Complemento></cfdi:Comprobante>')
    assert StatusQuery.from_xml(xml) == QUERY
