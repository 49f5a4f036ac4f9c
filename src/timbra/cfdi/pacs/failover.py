"""A second PAC behind the first, used only when the first provably never got the document.

Issue 11: "failover to a second configured PAC only when the first definitely did not receive the
document (connection refused before sending); never while an outcome is unknown". Two PACs holding
a stamp each for one sale would be two legal CFDI for one operation, so the rules are strict:

* `stamp` goes to the primary. Only `PacUnreachable` (refused, DNS, connect timeout: no byte left
  this machine) moves it to the secondary. A timeout, a dropped connection, a 5xx or a 429 never does:
  the primary may hold a stamp, and the retry goes back to it with the same bytes.
* `recover` asks the primary and then the secondary, because an earlier attempt may have failed over.
  It answers None only when both answered "no stamp"; if either cannot be asked, it raises
  `PacUnavailable`, and the caller waits instead of stamping again. Since `timbra.invoicing.stamp`
  always recovers before it retries, a retry can fail over only after both PACs said they hold nothing.
* The stamp's `pac_name` says which PAC stamped it, and the invoice records that.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from timbra.cfdi.pac import (
    CancelAnswer,
    CancelRequest,
    Pac,
    PacCancellation,
    PacConnectionCheck,
    PacError,
    PacUnavailable,
    StampResult,
)
from timbra.cfdi.pacs.transport import PacUnreachable

log = logging.getLogger(__name__)


class FailoverPac:
    """`primary`, or `secondary` when the primary is unreachable (see the module docstring)."""

    def __init__(self, primary: Pac, secondary: Pac) -> None:
        self.primary = primary
        self.secondary = secondary
        self.name = primary.name
        self.is_sandbox = primary.is_sandbox or secondary.is_sandbox

    def stamp(self, signed_xml: bytes) -> StampResult:
        try:
            result = self.primary.stamp(signed_xml)
        except PacUnreachable as exc:
            log.warning("PAC %s unreachable before sending (%s); stamping with %s", self.primary.name, exc,
                        self.secondary.name)
            result = self.secondary.stamp(signed_xml)
            return _named(result, self.secondary.name)
        return _named(result, self.primary.name)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        for pac in (self.primary, self.secondary):
            try:
                found = pac.recover(signed_xml)
            except PacUnavailable as exc:
                raise PacUnavailable(
                    f"No se pudo confirmar con {pac.name} si ya timbró este CFDI; se reintentará "
                    f"antes de timbrar en otro PAC. ({exc.message})"
                ) from exc
            if found is not None:
                return _named(found, pac.name)
        return None

    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """Any PAC relays a cancellation to the SAT; the secondary only when the primary is unreachable."""
        try:
            return _cancellation(self.primary).cancel(request)
        except PacUnreachable:
            return _cancellation(self.secondary).cancel(request)

    def check_connection(self) -> None:
        """Both PACs must answer: a failover that would fail is worse than none."""
        for pac in (self.primary, self.secondary):
            if not isinstance(pac, PacConnectionCheck):
                raise PacError(f"{pac.name} no permite probar la conexión.")
            pac.check_connection()


def _named(result: StampResult, pac_name: str) -> StampResult:
    if result.pac_name:
        return result
    return replace(result, pac_name=pac_name)


def _cancellation(pac: Pac) -> PacCancellation:
    if not isinstance(pac, PacCancellation):
        raise PacError(f"{pac.name} no permite cancelar.")
    return pac
