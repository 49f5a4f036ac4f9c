"""The interface every PAC adapter implements (sandbox, Finkok, SW sapien, ...).

A PAC (Proveedor Autorizado de Certificación) receives a CFDI already sealed with the issuer's CSD,
validates it on the SAT's behalf and answers with the TimbreFiscalDigital (UUID, FechaTimbrado,
SelloSAT). Timbra's exactly-once rule (reference/reliability.md §1.4) rests on three answers being
kept apart, so callers can react to each without guessing:

* a stamp (`StampResult`), possibly one the PAC already had (`already_stamped=True`, the "307 El CFDI
  contiene un timbre previo" answer of Finkok, SW sapien and Prodigia);
* a permanent rejection (`PacRejected`): the CFDI itself is wrong; hold the invoice, never retry as is;
* no answer we can trust: `PacUnavailable` (nothing reached the PAC, or it asked us to come back) or
  `PacOutcomeUnknown` (the request left and the answer was lost: it may have been stamped).

After `PacOutcomeUnknown` the caller must send the SAME signed bytes again or call `recover`; it must
never re-seal, because a new Sello is a new CFDI and would get a second UUID (DESIGN.md, "Never two
UUIDs for one sale").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class StampResult:
    """A CFDI the PAC has stamped.

    `uuid` is the folio fiscal in upper case. `stamped_xml` is the complete CFDI with the
    TimbreFiscalDigital inside cfdi:Complemento, exactly as the PAC returned it: store these bytes,
    they are the legal document. `fecha_timbrado` is aware, in America/Mexico_City (the TFD carries it
    as naive Mexico City time). `already_stamped` is True when the PAC answered that it had stamped
    these bytes before (Finkok/SW "307"); the data is then the ORIGINAL stamp, which is success.
    """

    uuid: str
    stamped_xml: bytes
    fecha_timbrado: datetime
    no_certificado_sat: str
    rfc_prov_certif: str
    already_stamped: bool = False
    # Which adapter stamped it, when a wrapper may pick between PACs (failover); "" means the `Pac`
    # that was called. The invoice records it: cancellation and the PDF's validity notice depend on it.
    pac_name: str = ""

    def __post_init__(self) -> None:
        if self.uuid != self.uuid.upper():
            raise ValueError("StampResult.uuid must be upper case (SAT's folio fiscal)")


class PacError(Exception):
    """Base class of every PAC failure; catch the subclasses, they need different handling."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PacRejected(PacError):
    """Permanent: the PAC validated the CFDI and refused it (the CFDI is wrong, not the network).

    `code` is the PAC's or the SAT's stable code: a Matriz de errores code such as "CFDI40145"
    (receptor name), or a PAC validation number such as "301" (XML mal formado), "305" (Fecha outside
    the CSD's validity) or "401" (Fecha outside the 72-hour window). `message` is Spanish, for people.
    The invoice goes to `held`; retrying the same bytes gives the same answer.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class PacUnavailable(PacError):
    """Transient, and nothing was stamped: connection refused, DNS failure, HTTP 5xx before the PAC
    accepted the request, or throttling (429). Retry later with backoff; `retry_after` (seconds) is the
    PAC's own hint when it gave one (Retry-After)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PacOutcomeUnknown(PacError):
    """The request was sent and no usable answer came back (read timeout, connection reset after
    sending, truncated response). The PAC may or may not have stamped. Retry with the SAME bytes or call
    `Pac.recover`; never re-seal while the outcome is unknown."""


@runtime_checkable
class Pac(Protocol):
    """What Timbra needs from a PAC. Adapters translate their vendor's protocol into these semantics.

    * `stamp(signed_xml)` sends the sealed CFDI bytes unchanged and returns the stamp. Sending bytes
      the PAC already stamped returns the original stamp with `already_stamped=True`: Finkok answers
      307 (its `stamp` may omit the XML for a few seconds, so its adapter falls back to `stamped`);
      SW sapien answers 307 with the original `data.tfd`, and its adapter also sends `customid` so a
      duplicate is caught even when the bytes differ. Raises `PacRejected`, `PacUnavailable` or
      `PacOutcomeUnknown` as documented on each.
    * `recover(signed_xml)` asks the PAC whether it has a stamp for exactly these bytes (Finkok
      `stamped`, SW recover by customid): the `StampResult` (with `already_stamped=True`) or None
      when the PAC has none. None is the only answer that allows re-sealing with a new Fecha.
      Raises `PacUnavailable` / `PacOutcomeUnknown` when the question itself could not be answered.

    `name` identifies the PAC in logs and on the invoice ("sandbox", "finkok", "sw"). `is_sandbox` is
    True when stamps have no fiscal validity (the sandbox PAC, or a real PAC's test service).
    """

    name: str
    is_sandbox: bool

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Stamp the sealed CFDI; see the class docstring for the answers."""
        ...

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """The PAC's stamp for exactly these bytes, or None if it has none."""
        ...


# --- Cancellation and connection checks (issue 11) ---------------------------------------------
# The contract every adapter (sandbox, Finkok, SW sapien, Diverza) implements for cancelling and for
# the dashboard's «Probar conexión». Kept apart from `Pac` so a stamping-only fake still satisfies
# `Pac`; real adapters implement all three protocols.

MOTIVOS_CANCELACION = {
    "01": "Comprobante emitido con errores con relación",
    "02": "Comprobante emitido con errores sin relación",
    "03": "No se llevó a cabo la operación",
    "04": "Operación nominativa relacionada en una factura global",
}


@dataclass(frozen=True)
class CancelRequest:
    """Cancel one stamped CFDI (CFF 29-A). `stamped_xml` is the CFDI as the PAC returned it (satcfdi's
    cancel reads UUID, RFCs and Total from it). `motivo` is c_Motivo "01".."04"; `folio_sustitucion`
    is the substitute's UUID, required with "01" and forbidden otherwise. `signer` is the issuer's
    CSD (satcfdi `Signer`): the cancellation request is signed with it."""

    uuid: str
    stamped_xml: bytes
    motivo: str
    folio_sustitucion: str | None
    signer: object  # satcfdi.models.Signer; typed loosely so this module stays free of satcfdi


@dataclass(frozen=True)
class CancelAnswer:
    """What the PAC said. `code` is the PAC/SAT code ("201" solicitud recibida, "202" previamente
    cancelado, ...). A 201 is NOT a cancellation: the SAT status service is the truth (it may need the
    receptor's acceptance). `acuse_xml` is the signed acknowledgement when the PAC returned one."""

    uuid: str
    code: str
    message: str
    acuse_xml: bytes | None = None


@runtime_checkable
class PacCancellation(Protocol):
    def cancel(self, request: CancelRequest) -> CancelAnswer:
        """Ask the PAC to cancel; raises PacRejected (e.g. 205 UUID no existe), PacUnavailable or
        PacOutcomeUnknown (a repeated request is harmless: the PAC answers 202 or its own duplicate code)."""
        ...


@runtime_checkable
class PacConnectionCheck(Protocol):
    def check_connection(self) -> None:
        """Call the PAC's harmless endpoint with the configured credentials (login, account status, ...);
        returns when they work, raises PacRejected (bad credentials) or PacUnavailable (unreachable)."""
        ...
