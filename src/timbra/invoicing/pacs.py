"""Which PAC stamps an invoice.

Test-mode invoices always go to the built-in sandbox PAC. Live-mode invoices need a real
PAC (TIMBRA_PAC); with only the sandbox configured they are held, never stamped with a
timbre that has no fiscal validity.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings

from timbra.cfdi.pac import Pac, PacCancellation
from timbra.cfdi.sat_status import SatStatusService

if TYPE_CHECKING:
    from timbra.sandbox.cancellations import SandboxCancellations as SandboxCancellationsType

_override: Pac | None = None
_sat_override: SatStatusService | None = None


class NoLivePac(Exception):
    code = "pac_not_configured"
    message = (
        "No hay un PAC real configurado: las facturas en modo producción no se pueden timbrar "
        "con el PAC de pruebas. Configura TIMBRA_PAC con las credenciales de tu PAC."
    )


@cache
def sandbox_pac() -> Pac:
    from timbra.sandbox.service import build_sandbox_pac

    pac: Pac = build_sandbox_pac()
    if faults := os.environ.get("TIMBRA_SANDBOX_FAULTS"):
        # Fault injection for end-to-end tests of real worker processes (test mode only:
        # the sandbox never stamps live invoices).
        from timbra.cfdi.pac_faults import from_env

        pac = from_env(pac, faults)
    return pac


def pac_for(livemode: bool) -> Pac:
    if _override is not None:
        return _override
    if not livemode:
        return sandbox_pac()
    if settings.TIMBRA_PAC == "sandbox":
        raise NoLivePac()
    raise NoLivePac()  # real adapters (Finkok, SW sapien) plug in here


@contextlib.contextmanager
def override(pac: Pac) -> Iterator[Pac]:
    """Use `pac` for every invoice inside the block (tests, fault injection)."""
    global _override
    previous, _override = _override, pac
    try:
        yield pac
    finally:
        _override = previous


# --- cancellation (issue 11) ---------------------------------------------------------------------


@cache
def sandbox_cancellations() -> SandboxCancellationsType:
    from django.utils import timezone

    from timbra.sandbox.cancellations import SandboxCancellations

    return SandboxCancellations(timezone.now)


def canceller_for(livemode: bool) -> PacCancellation:
    """Who files a cancellation: the invoice's PAC when it can cancel; in test mode the sandbox."""
    pac = pac_for(livemode)
    if isinstance(pac, PacCancellation):
        return pac
    if not livemode:
        return sandbox_cancellations()
    raise NoLivePac()


def sat_status_for(livemode: bool) -> SatStatusService:
    """The SAT status service: the real ConsultaCFDIService for live CFDIs, the sandbox's for test ones
    (the SAT does not know sandbox stamps)."""
    if _sat_override is not None:
        return _sat_override
    if not livemode:
        return sandbox_cancellations()
    from timbra.cfdi.sat_status import SatConsulta

    return SatConsulta(settings.TIMBRA_SAT_STATUS_URL)


@contextlib.contextmanager
def override_sat(service: SatStatusService) -> Iterator[SatStatusService]:
    """Use `service` as the SAT status service inside the block (tests: a fake SAT)."""
    global _sat_override
    previous, _sat_override = _sat_override, service
    try:
        yield service
    finally:
        _sat_override = previous
