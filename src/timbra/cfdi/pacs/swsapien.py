"""SW sapien / SmarterWeb (REST) on satcfdi's `SWSapien` client: stamp v4, cancel, check the account.

The protocol stays satcfdi's (paths, multipart `xml`, the `customid` header, answer envelope:
reference/pacs-and-cancellation.md §3). `_SWClient` replaces the hosts (configurable), the one HTTP
method (timeouts), and two quirks §3.1 documents: satcfdi reads the login's `token`/`expires_in` at
the top level although SW nests them under `data`, and never initialises `token` before the first
login. Its double slash (`//security/authenticate`) is kept: SW accepts it, and so must a fake.

Exactly once: every stamp carries `customid` = SHA-256 of the exact bytes, so SW recognises a retry
even across its own caches, and answers it "307. El comprobante contiene un timbre previo." with the
original CFDI in `data.cfdi` (or, on older routes, in `messageDetail`). satcfdi raises that 307 as an
error; the adapter reads the original stamp out of it.

SW has no "is this stamped?" lookup by bytes or by customid (its datawarehouse needs the UUID), so
`recover` is SW's documented recovery: send the same bytes with the same customid again. SW answers
the original stamp (307), or stamps now if it never had them, one UUID either way; a validation
rejection means it holds no stamp for them, and `recover` says None.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

import requests
from satcfdi import __version__ as satcfdi_version
from satcfdi.exceptions import ResponseError
from satcfdi.pacs import Environment
from satcfdi.pacs.swsapien import SWSapien

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
from timbra.cfdi.pacs.exact import exact_cfdi, idempotency_key, stamped_result
from timbra.cfdi.pacs.transport import Timeouts, Transport

TEST_URL = "https://services.test.sw.com.mx"
TEST_API_URL = "https://api.test.sw.com.mx"
PRODUCTION_URL = "https://services.sw.com.mx"
PRODUCTION_API_URL = "https://api.sw.com.mx"
BALANCE_PATH = "management/v2/api/users/balance"  # lunasoft/sw-sdk-python Balance/BalanceRequest.py


class _SWClient(SWSapien):
    """satcfdi's SWSapien, pointed at configurable hosts, sending through a `Transport`."""

    def __init__(self, *, token: str | None, user: str | None, password: str | None,
                 environment: Environment, base_url: str, api_url: str, transport: Transport) -> None:
        self.token: str | None = None
        self.expires_in: float = 0.0
        super().__init__(token=token, user=user, password=password, environment=environment)
        self._hosts = {"services": base_url.rstrip("/"), "api": api_url.rstrip("/")}
        self._transport = transport

    def _host(self, service: str = "services") -> str:
        return self._hosts[service]

    def _request(self, path: str, headers: dict[str, str] | None = None, method: str = "post",
                 files: Any = None, json: Any = None, needs_token: bool = True,
                 service: str = "services") -> dict[str, Any]:
        # satcfdi's own request, with the transport's timeouts instead of a bare requests.request.
        response = self._transport.request(
            method,
            f"{self._host(service)}/{path}",
            headers={
                "Cache-Control": "no-cache",
                "Authorization": self.token_fn() if needs_token else "",
                "User-Agent": satcfdi_version.__user_agent__,
                **(headers or {}),
            },
            json=json,
            files=files,
        )
        if not response.ok:
            raise ResponseError(response)
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise PacOutcomeUnknown("SW sapien devolvió una respuesta que no es JSON.") from exc
        if body.get("status") != "success":
            raise ResponseError(response)
        return body

    def _authenticate(self, user: str, password: str) -> dict[str, Any]:
        data: dict[str, Any] = super()._authenticate(user, password).get("data") or {}
        expires = float(data.get("expires_in") or 0)
        # SW documents an epoch; a small number would be a lifetime in seconds.
        data["expires_in"] = expires if expires > 10**9 else time.time() + (expires or 3600) - 60
        return data


class SWSapienPac:
    """SW sapien behind Timbra's `Pac`, `PacCancellation` and `PacConnectionCheck` protocols.

    Credentials: a long-lived `token` from SW's portal, or `user` and `password` (SW then logs in and
    renews the two-hour token itself)."""

    def __init__(self, *, token: str | None = None, user: str | None = None, password: str | None = None,
                 base_url: str | None = None, api_url: str | None = None, test_environment: bool = True,
                 timeouts: Timeouts | None = None) -> None:
        if not token and not (user and password):
            raise ValueError("SW sapien needs a token, or a user and a password")
        self.is_sandbox = test_environment
        self.name = "sw-pruebas" if test_environment else "sw"
        services = base_url or (TEST_URL if test_environment else PRODUCTION_URL)
        # One fake serves both hosts; the real API host is SW's second domain.
        api = api_url or (base_url or (TEST_API_URL if test_environment else PRODUCTION_API_URL))
        self._client = _SWClient(
            token=token, user=user, password=password,
            environment=Environment.TEST if test_environment else Environment.PRODUCTION,
            base_url=services, api_url=api, transport=Transport("SW sapien", timeouts or Timeouts()),
        )

    # --- stamping ------------------------------------------------------------------------------

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Stamp v4 with `customid`; a 307 carries the original stamp, which is success."""
        cfdi = exact_cfdi(signed_xml)
        try:
            document = self._client.stamp(cfdi, ref_id=idempotency_key(signed_xml))
        except ResponseError as exc:
            return self._from_error(exc)
        except (KeyError, TypeError, AttributeError) as exc:  # a success without data.uuid/cfdi
            raise PacOutcomeUnknown(f"SW sapien devolvió una respuesta incompleta: {exc}") from exc
        return stamped_result(document.xml, already_stamped=False, pac_name=self.name)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """Send the same bytes with the same customid (see the module docstring); None only when SW
        rejects them, which it would not do for bytes it had stamped (its duplicate check comes first)."""
        try:
            return self.stamp(signed_xml)
        except PacRejected as exc:
            if exc.code == codes.AUTH:
                raise
            return None

    def _from_error(self, exc: ResponseError) -> StampResult:
        response: requests.Response = exc.response
        body = _json(response)
        code, message = codes.split_code(str(body.get("message") or ""))
        if code == "307":
            original = _original_cfdi(body)
            if original is None:
                raise PacOutcomeUnknown(
                    "SW sapien dice que este CFDI ya tiene un timbre (307) pero no lo entregó; "
                    "se recuperará con el mismo XML."
                ) from exc
            return stamped_result(original, already_stamped=True, pac_name=self.name)
        if response.status_code in (401, 403) or code.startswith("AU"):
            raise codes.auth_rejection("SW sapien", message) from exc
        if not code and not message:
            raise PacUnavailable(f"SW sapien respondió HTTP {response.status_code} sin explicación.") from exc
        raise codes.rejection(code, message or str(body.get("messageDetail") or "")) from exc

    # --- cancellation ----------------------------------------------------------------------------

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """`/cfdi33/cancel/xml` with a Cancelacion signed here by the issuer's CSD (SW needs no CSD)."""
        uuid = request.uuid.upper()
        signed = signed_cancelacion(request)
        try:
            ack = self._client.cancel_comprobante(signed)
        except ResponseError as exc:
            body = _json(exc.response)
            code, message = codes.split_code(str(body.get("message") or ""))
            if exc.response.status_code in (401, 403) or code.startswith("AU"):
                raise codes.auth_rejection("SW sapien", message) from exc
            raise codes.rejection(code, message) from exc
        folios = ack.code if isinstance(ack.code, dict) else {}
        code = str(next((v for k, v in folios.items() if k.upper() == uuid), "")) or str(ack.code or "")
        if code not in ("201", "202"):
            raise codes.rejection(code, "")
        acuse = ack.acuse.encode() if isinstance(ack.acuse, str) else ack.acuse
        return CancelAnswer(uuid=uuid, code=code, message=codes.describe(code), acuse_xml=acuse)

    # --- connection check -------------------------------------------------------------------------

    def check_connection(self) -> None:
        """Log in (with user and password) and read the account balance: both harmless."""
        try:
            self._client._request(path=BALANCE_PATH, method="get", service="api")
        except ResponseError as exc:
            body = _json(exc.response)
            code, message = codes.split_code(str(body.get("message") or ""))
            if exc.response.status_code in (401, 403) or code.startswith("AU"):
                raise codes.auth_rejection("SW sapien", message) from exc
            raise PacUnavailable(f"SW sapien respondió HTTP {exc.response.status_code}: {message}") from exc
        except PacOutcomeUnknown as exc:
            raise PacUnavailable(str(exc)) from exc


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _original_cfdi(body: dict[str, Any]) -> str | None:
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    for candidate in (data.get("cfdi"), body.get("messageDetail")):  # Odoo reads messageDetail on v3/b64
        if isinstance(candidate, str) and "TimbreFiscalDigital" in _maybe_b64(candidate):
            return candidate
    return None


def _maybe_b64(value: str) -> str:
    if value.lstrip().startswith("<"):
        return value
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value
