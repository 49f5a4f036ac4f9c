"""Which PAC stamps an invoice.

Test-mode invoices always go to the built-in sandbox PAC. Live-mode invoices go to the PAC the
org configured (orgs.pac_settings; read back by `orgs.selectors.org_pac_config`) once the org has
switched to live (`orgs.onboarding.go_live`); without one they are held, never stamped with a
timbre that has no fiscal validity.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from timbra.cfdi.pac import Pac

if TYPE_CHECKING:
    from timbra.orgs.models import Org

_override: Pac | None = None


class NoLivePac(Exception):
    code = "pac_not_configured"
    message = (
        "No hay un PAC real configurado: las facturas en modo producción no se pueden timbrar "
        "con el PAC de pruebas. Configura tu PAC en Ajustes → PAC y activa el modo producción."
    )


class UnknownPac(ValueError):
    """`pac_from_config` cannot build this PAC (unknown name or adapter not installed)."""

    code = "pac_unknown"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def pac_from_config(name: str, credentials: Mapping[str, str], *, base_url: str | None = None,
                    test_environment: bool = True) -> Pac:
    """The PAC adapter `name` with these credentials. Minimal version (issue 11, onboarding):
    only the built-in sandbox; the real adapters (Finkok, SW sapien, Diverza) replace this."""
    if name == "sandbox":
        return sandbox_pac()
    raise UnknownPac(f"El PAC «{name}» no está disponible en esta instalación de Timbra.")


def pac_for(livemode: bool, org: Org | None = None) -> Pac:
    if _override is not None:
        return _override
    if not livemode:
        return sandbox_pac()
    if org is not None and (pac := org_live_pac(org)) is not None:
        return pac
    if settings.TIMBRA_PAC == "sandbox":
        raise NoLivePac()
    raise NoLivePac()  # a deployment-wide real adapter (TIMBRA_PAC) plugs in here


def org_live_pac(org: Org) -> Pac | None:
    """The PAC for `org`'s live invoices: its configured PAC once it has switched to live, and
    only if that PAC's stamps have fiscal validity (never the sandbox nor a PAC's test service)."""
    from timbra.orgs.models import OrgPac

    if org.live_enabled_at is None:
        return None
    row = OrgPac.objects.filter(org_id=org.pk).values_list(
        "name", "credentials_encrypted", "base_url", "test_environment").first()
    if row is None:
        return None
    name, blob, base_url, test_environment = row
    pac = _built_org_pac(org.pk, name, bytes(blob or b""), base_url, test_environment)
    return None if pac is None or pac.is_sandbox else pac


@lru_cache(maxsize=256)
def _built_org_pac(org_id: int, name: str, blob: bytes, base_url: str, test_environment: bool) -> Pac | None:
    """Decrypt and build once per process and settings (every save encrypts with a new nonce,
    so a changed setting is a new cache key)."""
    from timbra.orgs.pac_settings import decrypt_credentials

    try:
        return pac_from_config(name, decrypt_credentials(org_id, blob), base_url=base_url or None,
                               test_environment=test_environment)
    except ValueError:
        return None


@contextlib.contextmanager
def override(pac: Pac) -> Iterator[Pac]:
    """Use `pac` for every invoice inside the block (tests, fault injection)."""
    global _override
    previous, _override = _override, pac
    try:
        yield pac
    finally:
        _override = previous
