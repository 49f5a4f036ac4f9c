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

from django.conf import settings

from timbra.cfdi.pac import Pac

_override: Pac | None = None


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
