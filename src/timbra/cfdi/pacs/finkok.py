"""Finkok (SOAP) on satcfdi's `Finkok` client: stamp, recover (`stamped`), cancel, check the account.

The protocol stays satcfdi's (envelopes, fields, answer checks: reference/pacs-and-cancellation.md
§2). `_FinkokClient` only replaces the host (configurable, so the same code talks to a local fake)
and the one method that does HTTP, which gains timeouts and keeps the last SOAP answer so the adapter
can read what satcfdi's parsing drops (the 307 Incidencia next to a returned XML).

Finkok's duplicate answer is the trap (§2.4): `stamp` of bytes it already stamped answers Incidencia
307, sometimes WITH the original XML and UUID, sometimes with an empty `xml` (Finkok's own docs say it
"may or may not" return them). Both are success: with the XML we return it; without, we ask `stamped`
for it, and if even that has nothing yet (Finkok's 603 for a few seconds after a stamp) the outcome is
unknown and the retry finds it. A new seal is never an option while Finkok says 307.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Callable
from typing import TypeVar

from lxml import etree
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import DocumentNotFoundError, ResponseError
from satcfdi.pacs import Environment
from satcfdi.pacs.finkok import Finkok

from timbra.cfdi.pac import (
    CancelAnswer,
    CancelRequest,
    PacOutcomeUnknown,
    PacRejected,
    PacUnavailable,
    StampResult,
)
from timbra.cfdi.pacs import codes
from timbra.cfdi.pacs.cancel import signed_cancelacion
from timbra.cfdi.pacs.exact import exact_cfdi, stamped_result
from timbra.cfdi.pacs.transport import Timeouts, Transport

log = logging.getLogger(__name__)

DEMO_URL = "https://demo-facturacion.finkok.com"
PRODUCTION_URL = "https://facturacion.finkok.com"
UTILITIES_NS = "http://facturacion.finkok.com/utilities"
STAMPED_OK = "Comprobante timbrado satisfactoriamente"
# Cancellation request-level answers that mean "SAT or its clock, try again" (phpcfdi's integration tests).
_CANCEL_RETRY = {"708", "300", "305"}
_AUTH_TEXT = re.compile(
    r"(usuario|contrase|password|username).*(inv[aá]lid|incorrect)|(inv[aá]lid|incorrect).*(usuario|contrase|password|username)",
    re.IGNORECASE,
)
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

T = TypeVar("T")


class _FinkokClient(Finkok):
    """satcfdi's Finkok, pointed at `base_url`, sending through a `Transport` with timeouts."""

    def __init__(self, username: str, password: str, environment: Environment, *,
                 base_url: str, transport: Transport) -> None:
        super().__init__(username, password, environment)
        self._base_url = base_url.rstrip("/")
        self._transport = transport
        self._last = threading.local()

    @property
    def host(self) -> str:
        return self._base_url

    def _perform_request(self, url: str, envelope: etree._Element) -> etree._Element:
        # satcfdi POSTs the envelope to the .wsdl URL with no SOAPAction and no Content-Type; kept so.
        response = self._transport.request("POST", url, data=etree.tostring(envelope))
        try:
            root = etree.fromstring(response.content, parser=_SAFE_PARSER)
        except etree.XMLSyntaxError as exc:
            if response.status_code >= 400:  # e.g. a 404 page: the service never took the request
                raise PacUnavailable(f"Finkok respondió HTTP {response.status_code} en {url}.") from exc
            raise PacOutcomeUnknown("Finkok devolvió una respuesta ilegible; pudo haber timbrado.") from exc
        self._last.root = root
        return root

    def last_answer(self) -> etree._Element | None:
        """The SOAP answer this thread received last."""
        return getattr(self._last, "root", None)

    def utilities_url(self) -> str:
        return f"{self.host}/servicios/soap/utilities.wsdl"


class FinkokPac:
    """Finkok behind Timbra's `Pac`, `PacCancellation` and `PacConnectionCheck` protocols."""

    def __init__(self, username: str, password: str, *, base_url: str | None = None,
                 test_environment: bool = True, timeouts: Timeouts | None = None) -> None:
        self.is_sandbox = test_environment
        self.name = "finkok-pruebas" if test_environment else "finkok"
        environment = Environment.TEST if test_environment else Environment.PRODUCTION
        url = base_url or (DEMO_URL if test_environment else PRODUCTION_URL)
        self._client = _FinkokClient(username, password, environment, base_url=url,
                                     transport=Transport("Finkok", timeouts or Timeouts()))

    # --- stamping ------------------------------------------------------------------------------

    def stamp(self, signed_xml: bytes) -> StampResult:
        """`stamp` the exact bytes; a 307 is the original stamp (from the answer, else from `stamped`)."""
        cfdi = exact_cfdi(signed_xml)
        try:
            document = self._call(lambda: self._client.stamp(cfdi))
        except ResponseError as exc:
            code, message = codes.split_code(str(exc.response))
            if code == "307":
                return self._original_stamp(cfdi)
            raise self._rejection(code, message) from exc
        answer = self._client.last_answer()
        return stamped_result(document.xml, already_stamped=_has_incidencia(answer, "307"), pac_name=self.name)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """Finkok's `stamped`: the stamp it holds for exactly these bytes, or None (its 603)."""
        cfdi = exact_cfdi(signed_xml)
        try:
            document = self._call(lambda: self._client.stamped(cfdi))
        except ResponseError as exc:
            code, message = codes.split_code(str(exc.response))
            if code == "603":
                return None
            if _is_auth(code, message):
                raise codes.auth_rejection("Finkok", message) from exc
            raise PacUnavailable(f"Finkok no pudo responder si tiene este CFDI timbrado ({code}: {message}).") from exc
        return stamped_result(document.xml, already_stamped=True, pac_name=self.name)

    def _original_stamp(self, cfdi: CFDI) -> StampResult:
        answer = self._client.last_answer()
        xml = _text(answer, "xml")
        if xml:
            return stamped_result(xml, already_stamped=True, pac_name=self.name)
        recovered = self.recover(cfdi.xml_bytes())
        if recovered is None:
            raise PacOutcomeUnknown(
                "Finkok dice que este CFDI ya tiene un timbre (307) pero todavía no lo entrega; "
                "se recuperará con el mismo XML."
            )
        return recovered

    def _rejection(self, code: str, message: str) -> PacRejected:
        if _is_auth(code, message):
            return codes.auth_rejection("Finkok", message)
        return codes.rejection(code, message)

    def _call(self, operation: Callable[[], T]) -> T:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # satcfdi warns for an Incidencia next to a success
            try:
                return operation()
            except (AttributeError, TypeError) as exc:
                # satcfdi reads `xml`/`UUID`/`Incidencias` unconditionally: an answer without them
                # (a SOAP Fault, an empty xml) is no answer we can trust.
                raise PacOutcomeUnknown(f"Finkok devolvió una respuesta incompleta: {exc}") from exc

    # --- cancellation ----------------------------------------------------------------------------

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """`cancel_signature` with a Cancelacion signed by the issuer's CSD; 201/202 are answers."""
        signed = signed_cancelacion(request)
        try:
            ack = self._call(lambda: self._client.cancel_comprobante(signed))
        except DocumentNotFoundError as exc:
            raise codes.rejection("205", str(exc.response)) from exc
        except ResponseError as exc:
            code, message = codes.split_code(str(exc.response))
            if code in _CANCEL_RETRY:
                raise PacUnavailable(codes.describe(code, message)) from exc
            raise self._rejection(code, message) from exc
        code = str(ack.code or "")
        if code not in ("201", "202"):
            raise codes.rejection(code, "")
        return CancelAnswer(uuid=request.uuid.upper(), code=code, message=codes.describe(code), acuse_xml=ack.acuse)

    # --- connection check -------------------------------------------------------------------------

    def check_connection(self) -> None:
        """Finkok's utilities `datetime`: harmless, and it answers "Invalid username or password"."""
        operation = etree.Element(etree.QName(UTILITIES_NS, "datetime"), nsmap={"utilities": UTILITIES_NS})
        envelope = self._client._build_envelope(self._client._add_auth(operation, UTILITIES_NS))
        try:
            root = self._client._perform_request(self._client.utilities_url(), envelope)
        except PacOutcomeUnknown as exc:  # nothing at stake in a check: unknown is just unavailable
            raise PacUnavailable(str(exc)) from exc
        error = _text(root, "error")
        if error:
            if _is_auth("", error):
                raise codes.auth_rejection("Finkok", error)
            raise PacRejected("pac_error", f"Finkok respondió: «{error}».")
        if not _text(root, "datetime"):
            raise PacUnavailable("Finkok respondió sin la fecha esperada; revisa la URL configurada.")


def _text(root: etree._Element | None, field: str) -> str:
    if root is None:
        return ""
    element = root.find(f".//apps:{field}", Finkok.namespaces)
    return (element.text or "").strip() if element is not None else ""


def _has_incidencia(root: etree._Element | None, code: str) -> bool:
    if root is None:
        return False
    return any((e.text or "").strip() == code for e in root.iterfind(".//apps:CodigoError", Finkok.namespaces))


def _is_auth(code: str, message: str) -> bool:
    return code == "300" or bool(_AUTH_TEXT.search(message))
