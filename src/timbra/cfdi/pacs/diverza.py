"""Diverza (REST, JSON) on satcfdi's `Diverza` client: stamp with RefID, cancel, check the account.

The protocol stays satcfdi's (`api/v2/documents/stamp` with the CFDI in base64, credentials and issuer
in the body, `ref-id`; `PUT api/v2/documents/{uuid}/cancel`; `api/v1/rfc/status`). `_DiverzaClient`
replaces the host (configurable) and the one HTTP method (timeouts).

Exactly once: Diverza's RefID (desarrolladores.diverza.com/timbre/refid.html) gives "one folio fiscal
per RefID: retries and recovery get the complement stamped the first time". Every stamp sends
`ref-id` = SHA-256 of the exact bytes, and `recover` is that documented recovery: the same bytes with
the same RefID. Diverza answers a repeat exactly like the first time, so `already_stamped` cannot be
told apart and stays False; the UUID is the same, which is what matters.

Not confirmed (reference §6 has no Diverza entry; its apiary docs are not public): the shape of
Diverza's error bodies. The adapter reads `code`/`message` (or `error`/`error_details`) from a JSON
error and keeps the raw text otherwise. satcfdi's `cancel` sends no Motivo, so only motive 02 is
accepted here until Diverza's v2 cancellation contract is confirmed.
"""

from __future__ import annotations

from typing import Any

import requests
from satcfdi import __version__ as satcfdi_version
from satcfdi.cfdi import CFDI
from satcfdi.exceptions import ResponseError
from satcfdi.pacs import CancelReason, Environment
from satcfdi.pacs.diverza import Diverza

from timbra.cfdi.pac import (
    CancelAnswer,
    CancelRequest,
    PacOutcomeUnknown,
    PacRejected,
    PacUnavailable,
    StampResult,
)
from timbra.cfdi.pacs import codes
from timbra.cfdi.pacs.exact import exact_cfdi, idempotency_key, stamped_result
from timbra.cfdi.pacs.transport import Timeouts, Transport

DEMO_URL = "https://serviciosdemo.diverza.com"
PRODUCTION_URL = "https://servicios.diverza.com"


class _DiverzaClient(Diverza):
    """satcfdi's Diverza, pointed at `base_url`, sending through a `Transport`."""

    def __init__(self, rfc: str, client_id: str, token: str, environment: Environment, *,
                 base_url: str, transport: Transport) -> None:
        super().__init__(rfc=rfc, id=client_id, token=token, environment=environment)
        self._base_url = base_url.rstrip("/")
        self._transport = transport

    def _request(self, path: str, json: Any, method: str = "post") -> requests.Response:
        # satcfdi's own request (credentials merged into the body; no Accept header, which Diverza
        # rejects), with the transport's timeouts.
        response = self._transport.request(
            method, f"{self._base_url}/{path}",
            headers={"User-Agent": satcfdi_version.__user_agent__}, json=self.payload_append | json,
        )
        if not response.ok:
            raise ResponseError(response)
        return response


class DiverzaPac:
    """Diverza behind Timbra's `Pac`, `PacCancellation` and `PacConnectionCheck` protocols.

    Credentials: the issuer's `rfc`, Diverza's client `id` and its `token`."""

    def __init__(self, *, rfc: str, client_id: str, token: str, base_url: str | None = None,
                 test_environment: bool = True, timeouts: Timeouts | None = None) -> None:
        self.is_sandbox = test_environment
        self.name = "diverza-pruebas" if test_environment else "diverza"
        self._rfc = rfc
        self._client = _DiverzaClient(
            rfc, client_id, token, Environment.TEST if test_environment else Environment.PRODUCTION,
            base_url=base_url or (DEMO_URL if test_environment else PRODUCTION_URL),
            transport=Transport("Diverza", timeouts or Timeouts()),
        )

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Stamp with `ref-id`; a repeat of the same bytes gets the same timbre."""
        cfdi = exact_cfdi(signed_xml)
        try:
            document = self._client.stamp(cfdi, ref_id=idempotency_key(signed_xml))
        except ResponseError as exc:
            code, message = _error(exc.response)
            if exc.response.status_code in (401, 403):
                raise codes.auth_rejection("Diverza", message) from exc
            if code == "307":
                raise PacOutcomeUnknown("Diverza dice que este CFDI ya tiene un timbre (307); se recuperará.") from exc
            raise codes.rejection(code, message) from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise PacOutcomeUnknown(f"Diverza devolvió una respuesta incompleta: {exc}") from exc
        if not document.xml:
            raise PacOutcomeUnknown("Diverza respondió sin el CFDI timbrado; se recuperará con el mismo XML.")
        return stamped_result(document.xml, already_stamped=False, pac_name=self.name)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """The same bytes with the same RefID; None only when Diverza rejects them (it would have
        answered the stored timbre had it stamped them: the RefID lookup precedes certification)."""
        try:
            result = self.stamp(signed_xml)
        except PacRejected as exc:
            if exc.code == codes.AUTH:
                raise
            return None
        return result

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """satcfdi's `cancel` (PUT …/cancel); Diverza answers `status: canceled`, which satcfdi reports as 202."""
        if request.motivo != "02":
            raise PacRejected(
                "motivo_no_soportado",
                "Con Diverza solo se puede cancelar por motivo 02: el cliente de Diverza no envía el motivo "
                "ni el folio de sustitución. Usa otro PAC para cancelar con motivo "
                f"{request.motivo}.",
            )
        cfdi = CFDI.from_string(request.stamped_xml)
        try:
            ack = self._client.cancel(cfdi, CancelReason(request.motivo))
        except ResponseError as exc:
            code, message = _error(exc.response)
            if exc.response.status_code in (401, 403):
                raise codes.auth_rejection("Diverza", message) from exc
            if exc.response.status_code == 404:
                raise codes.rejection("205", message) from exc
            raise codes.rejection(code, message) from exc
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # satcfdi raises on any status but "canceled" (and trips over its own message): unknown.
            raise PacOutcomeUnknown(f"Diverza respondió a la cancelación de forma inesperada: {exc}") from exc
        code = str(ack.code or "")
        return CancelAnswer(uuid=request.uuid.upper(), code=code,
                            message="Diverza aceptó la cancelación (status «canceled»). " + codes.describe(code))

    def check_connection(self) -> None:
        """Diverza's RFC status query: harmless, authenticated with the same credentials."""
        try:
            self._client.rfc_valid(self._rfc)
        except ResponseError as exc:
            code, message = _error(exc.response)
            if exc.response.status_code in (401, 403):
                raise codes.auth_rejection("Diverza", message) from exc
            raise PacUnavailable(f"Diverza respondió HTTP {exc.response.status_code}: {message}") from exc
        except PacOutcomeUnknown as exc:
            raise PacUnavailable(str(exc)) from exc
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise PacUnavailable(f"Diverza respondió de forma inesperada: {exc}") from exc


def _error(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return codes.split_code(response.text[:500])
    if not isinstance(body, dict):
        return "", str(body)[:500]
    message = str(body.get("message") or body.get("error_details") or body.get("error") or "")
    code = str(body.get("code") or body.get("error_code") or "")
    if not code:
        return codes.split_code(message)
    return code, message
