"""HTTP for the real PAC adapters: timeouts, and every network failure sorted by what the PAC saw.

satcfdi's clients call `requests` with no timeout (reference/pacs-and-cancellation.md §1), so a PAC
that hangs would hang a worker forever. Every adapter sends through one `Transport`, which sets a
connect and a read timeout and turns each failure into the answer `timbra.cfdi.pac` defines:

| what happened | raised | why |
|---|---|---|
| connection refused, DNS failure, connect timeout, TLS handshake failure | `PacUnreachable` | no byte of the request left this machine: nothing can have been stamped, failover is safe |
| read timeout, connection reset or closed after sending, truncated body | `PacOutcomeUnknown` | the PAC may have stamped and the answer was lost |
| HTTP 429, HTTP 503 | `PacUnavailable` (`retry_after` from Retry-After) | the PAC refused the request before accepting it |
| any other HTTP 5xx | `PacOutcomeUnknown` | a 500 can come after the stamp was committed; a 502/504 gateway may have forwarded the request |

`PacUnreachable` is a `PacUnavailable`, so callers that only retry need not know it; only the
failover wrapper looks for it (issue 11: fail over "only when the first definitely did not receive
the document").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from timbra.cfdi.pac import PacOutcomeUnknown, PacUnavailable

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


class PacUnreachable(PacUnavailable):
    """The request never left: the connection was refused or could not be opened. The PAC did not
    receive the document, so another PAC may stamp it without risking a second UUID."""


@dataclass(frozen=True)
class Timeouts:
    """Seconds to open the connection and to wait between bytes of the answer. The read timeout
    bounds how long a worker waits for a stamp; past it the outcome is unknown and recovered later."""

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float = DEFAULT_READ_TIMEOUT


class Transport:
    """One `requests.Session` with timeouts; `request` returns a response or raises a PAC error."""

    def __init__(self, pac_label: str, timeouts: Timeouts) -> None:
        self.pac_label = pac_label
        self.timeouts = timeouts
        self.session = requests.Session()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send and return the response (any status below 500 but 429); raise the PAC error otherwise."""
        try:
            response = self.session.request(
                method, url, timeout=(self.timeouts.connect, self.timeouts.read), **kwargs
            )
            response.content  # noqa: B018 - read the whole body here, inside the error mapping
        except requests.exceptions.ConnectTimeout as exc:
            raise PacUnreachable(f"{self.pac_label} no respondió al abrir la conexión ({url}).") from exc
        except requests.exceptions.SSLError as exc:
            # The TLS handshake comes before the request: a failure there sent nothing.
            raise PacUnreachable(f"No se pudo establecer una conexión segura con {self.pac_label}: {exc}") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise PacOutcomeUnknown(
                f"{self.pac_label} no respondió en {self.timeouts.read:g} s; pudo haber timbrado, "
                "se recuperará con el mismo XML."
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if _never_connected(exc):
                raise PacUnreachable(f"No se pudo conectar con {self.pac_label} ({url}): conexión rechazada.") from exc
            raise PacOutcomeUnknown(
                f"La conexión con {self.pac_label} se cortó después de enviar la solicitud; pudo haber timbrado."
            ) from exc
        except requests.exceptions.RequestException as exc:  # ChunkedEncodingError, ContentDecodingError, ...
            raise PacOutcomeUnknown(f"Respuesta incompleta de {self.pac_label}: {exc}") from exc
        _raise_for_server_status(self.pac_label, response)
        return response


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    # urllib3 (no retries) wraps a failed connect in MaxRetryError(reason=NewConnectionError, which
    # includes NameResolutionError); an error once connected (reset, closed mid-answer) arrives as a
    # bare ProtocolError instead, and it may come after the PAC stamped.
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)


def _raise_for_server_status(pac_label: str, response: requests.Response) -> None:
    status = response.status_code
    if status in (429, 503):
        raise PacUnavailable(
            f"{pac_label} pidió esperar (HTTP {status}); se reintentará.",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if status >= 500:
        raise PacOutcomeUnknown(f"{pac_label} respondió HTTP {status}; pudo haber timbrado, se recuperará.")


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds (RFC 9110: delay-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
