"""The SAT's CFDI status service (ConsultaCFDIService): is a CFDI vigente, cancelado, cancelable?

A PAC's 201 only means «request received»; whether and when a CFDI is cancelled (maybe after the
receptor's acceptance, or by silence after 3 business days) is what this service says
(reference/pacs-and-cancellation.md §5.5). Behind a small Protocol: `SatConsulta` speaks the real
SOAP service through satcfdi's client (with a timeout and a configurable URL, so tests point it at a
fake SAT on localhost); the sandbox answers for test-mode CFDIs (timbra.sandbox.cancellations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import requests
from lxml import etree
from satcfdi.exceptions import ResponseError
from satcfdi.pacs.sat import SAT

from timbra.domain.cancellation import SatStatus

PRODUCTION_URL = "https://consultaqr.facturaelectronica.sat.gob.mx/ConsultaCFDIService.svc"
NS_CFDI = "http://www.sat.gob.mx/cfd/4"
NS_TFD = "http://www.sat.gob.mx/TimbreFiscalDigital"


class SatUnavailable(Exception):
    """The status service did not answer usefully (network, 5xx, garbage): ask again later."""


@dataclass(frozen=True)
class StatusQuery:
    """What identifies a CFDI to the status service; `total` exactly as written in the XML."""

    uuid: str
    emisor_rfc: str
    receptor_rfc: str
    total: str

    @classmethod
    def from_xml(cls, stamped_xml: bytes) -> StatusQuery:
        root = etree.fromstring(stamped_xml)
        tfd = root.find(f"{{{NS_CFDI}}}Complemento/{{{NS_TFD}}}TimbreFiscalDigital")
        if tfd is None:
            raise ValueError("the CFDI has no TimbreFiscalDigital")
        return cls(
            uuid=tfd.get("UUID", "").upper(),
            emisor_rfc=root.find(f"{{{NS_CFDI}}}Emisor").get("Rfc", ""),
            receptor_rfc=root.find(f"{{{NS_CFDI}}}Receptor").get("Rfc", ""),
            total=root.get("Total", ""),
        )


@runtime_checkable
class SatStatusService(Protocol):
    def status(self, query: StatusQuery) -> SatStatus:
        """The SAT's answer for the CFDI; raises SatUnavailable when there is none to trust."""
        ...


class _TimedSAT(SAT):  # type: ignore[misc]
    """satcfdi's SAT client with what it lacks: a URL of our choosing and an HTTP timeout."""

    def __init__(self, url: str, timeout: float, verify: bool) -> None:
        super().__init__()
        self._url, self._timeout, self._verify = url, timeout, verify

    def _request(self, soap_url: str, data: Any, soap_action: str, needs_token_fn: Any, verify: bool = True) -> Any:
        response = requests.post(
            url=self._url,
            data=data,
            headers=self._get_headers(soap_action, needs_token_fn=needs_token_fn),
            verify=self._verify,
            timeout=self._timeout,
        )
        if not response.ok:
            raise ResponseError(response)
        return etree.fromstring(response.content)


class SatConsulta:
    """The real service (SOAP, `tem:Consulta`), through satcfdi's `SAT.status`."""

    def __init__(self, url: str = PRODUCTION_URL, *, timeout: float = 15.0, verify: bool = True) -> None:
        self._client = _TimedSAT(url, timeout, verify)

    def status(self, query: StatusQuery) -> SatStatus:
        # satcfdi reads these four keys from a CFDI; a plain mapping keeps Total as written.
        cfdi = {
            "Emisor": {"Rfc": query.emisor_rfc},
            "Receptor": {"Rfc": query.receptor_rfc},
            "Total": query.total,
            "Complemento": {"TimbreFiscalDigital": {"UUID": query.uuid}},
        }
        try:
            answer = self._client.status(cfdi)
        except (requests.RequestException, ResponseError, etree.XMLSyntaxError, AttributeError, TypeError) as exc:
            raise SatUnavailable(f"El servicio de consulta del SAT no respondió: {exc}") from exc
        return SatStatus(
            codigo_estatus=answer.get("CodigoEstatus") or "",
            estado=answer.get("Estado") or "",
            es_cancelable=answer.get("EsCancelable") or "",
            estatus_cancelacion=answer.get("EstatusCancelacion") or "",
            validacion_efos=answer.get("ValidacionEFOS") or "",
        )
