"""Which PAC stamps an invoice, and how a PAC is built from its configuration.

Test-mode invoices always go to the built-in sandbox PAC. Live-mode invoices go to the real PAC
named by TIMBRA_PAC (finkok, sw, diverza) with its TIMBRA_PAC_* settings, optionally backed by a
failover PAC (TIMBRA_PAC_FAILOVER); with only the sandbox configured they are held
(`pac_not_configured`), never stamped with a timbre that has no fiscal validity.

An org that onboarded itself (orgs.pac_settings; read back by `orgs.selectors.org_pac_config`) and
switched to live (`orgs.onboarding.go_live`) uses its own PAC first; the deployment-wide TIMBRA_PAC is
the fallback. `pac_from_config` is also what the onboarding wizard calls to test credentials
("Probar conexión"): build the adapter, then `check_connection()` on it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from timbra.cfdi.pac import Pac, PacCancellation
from timbra.cfdi.pacs.transport import Timeouts
from timbra.cfdi.sat_status import SatStatusService

if TYPE_CHECKING:
    from timbra.orgs.models import Org
    from timbra.sandbox.cancellations import SandboxCancellations as SandboxCancellationsType

_override: Pac | None = None
_sat_override: SatStatusService | None = None

PAC_NAMES = ("sandbox", "finkok", "sw", "diverza")
# Credentials each PAC needs (keys of the `credentials` mapping). SW takes a token OR user + password.
REQUIRED_CREDENTIALS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sandbox": ((),),
    "finkok": (("username", "password"),),
    "sw": (("token",), ("username", "password")),
    "diverza": (("rfc", "id", "token"),),
}
CREDENTIAL_LABELS = {"username": "usuario", "password": "contraseña", "token": "token", "rfc": "RFC",
                     "id": "ID de cliente"}


class NoLivePac(Exception):
    code = "pac_not_configured"
    message = (
        "No hay un PAC real configurado: las facturas en modo producción no se pueden timbrar "
        "con el PAC de pruebas. Configura TIMBRA_PAC con las credenciales de tu PAC."
    )

    def __init__(self, message: str | None = None) -> None:
        if message:
            self.message = message
        super().__init__(self.message)


class PacConfigError(ValueError):
    """The PAC configuration cannot work: unknown PAC name or missing credential. `message` is Spanish."""

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
                    test_environment: bool = True, timeouts: Timeouts | None = None) -> Pac:
    """The adapter for PAC `name` ("sandbox", "finkok", "sw", "diverza") with these credentials.

    `base_url` replaces the PAC's host (a local fake, a proxy); `test_environment` picks the PAC's
    demo service (stamps without fiscal validity, `is_sandbox` True) instead of production. Raises
    `PacConfigError` for an unknown name or a missing credential; makes no network call."""
    name = (name or "").strip().lower()
    if name not in PAC_NAMES:
        raise PacConfigError(
            f"PAC desconocido «{name}». Los PAC disponibles son: {', '.join(PAC_NAMES)}."
        )
    given = {key: value.strip() for key, value in credentials.items() if value and value.strip()}
    _require(name, given)
    timeouts = timeouts or Timeouts()
    if name == "sandbox":
        return sandbox_pac()
    if name == "finkok":
        from timbra.cfdi.pacs.finkok import FinkokPac

        return FinkokPac(given["username"], given["password"], base_url=base_url,
                         test_environment=test_environment, timeouts=timeouts)
    if name == "sw":
        from timbra.cfdi.pacs.swsapien import SWSapienPac

        return SWSapienPac(token=given.get("token"), user=given.get("username"), password=given.get("password"),
                           base_url=base_url, api_url=given.get("api_url"),
                           test_environment=test_environment, timeouts=timeouts)
    from timbra.cfdi.pacs.diverza import DiverzaPac

    return DiverzaPac(rfc=given["rfc"], client_id=given["id"], token=given["token"], base_url=base_url,
                      test_environment=test_environment, timeouts=timeouts)


def _require(name: str, given: Mapping[str, str]) -> None:
    options = REQUIRED_CREDENTIALS[name]
    if any(all(key in given for key in option) for option in options):
        return
    wanted = " o ".join(", ".join(CREDENTIAL_LABELS[k] for k in option) for option in options)
    missing = [CREDENTIAL_LABELS[k] for k in options[0] if k not in given]
    raise PacConfigError(
        f"Faltan credenciales del PAC {name}: {', '.join(missing)}. Se necesita: {wanted}."
    )


def configured_pac(prefix: str = "TIMBRA_PAC") -> Pac | None:
    """The PAC the settings name under `prefix` (TIMBRA_PAC or TIMBRA_PAC_FAILOVER), or None."""
    name = getattr(settings, prefix, "")
    if name in ("", "sandbox"):
        return None
    environment = getattr(settings, f"{prefix}_ENV", "test").strip().lower()
    if environment not in ("test", "production"):
        raise PacConfigError(f"{prefix}_ENV debe ser «test» o «production», no «{environment}».")
    return pac_from_config(
        name, getattr(settings, f"{prefix}_CREDENTIALS", {}),
        base_url=getattr(settings, f"{prefix}_URL", "") or None,
        test_environment=environment == "test",
        timeouts=Timeouts(connect=settings.TIMBRA_PAC_CONNECT_TIMEOUT, read=settings.TIMBRA_PAC_READ_TIMEOUT),
    )


def live_pac() -> Pac:
    """The real PAC for live invoices, with its failover when one is configured.

    Built once per configuration (its HTTP session and SW's token are reused), rebuilt when the
    settings change (tests point it at a fake)."""
    return _live_pac(_settings_key())


def _settings_key() -> tuple[object, ...]:
    values: list[object] = [settings.TIMBRA_PAC_CONNECT_TIMEOUT, settings.TIMBRA_PAC_READ_TIMEOUT]
    for prefix in ("TIMBRA_PAC", "TIMBRA_PAC_FAILOVER"):
        values += [getattr(settings, prefix, ""), getattr(settings, f"{prefix}_URL", ""),
                   getattr(settings, f"{prefix}_ENV", ""),
                   tuple(sorted(getattr(settings, f"{prefix}_CREDENTIALS", {}).items()))]
    return tuple(values)


@functools.lru_cache(maxsize=4)
def _live_pac(_key: tuple[object, ...]) -> Pac:
    primary = configured_pac("TIMBRA_PAC")
    if primary is None:
        raise NoLivePac()
    secondary = configured_pac("TIMBRA_PAC_FAILOVER")
    if secondary is None:
        return primary
    from timbra.cfdi.pacs.failover import FailoverPac

    return FailoverPac(primary, secondary)


def pac_for(livemode: bool, org: Org | None = None) -> Pac:
    if _override is not None:
        return _override
    if not livemode:
        return sandbox_pac()
    if org is not None and (pac := org_live_pac(org)) is not None:
        return pac
    if settings.TIMBRA_PAC in ("", "sandbox"):
        raise NoLivePac()
    try:
        return live_pac()
    except PacConfigError as exc:  # the invoice waits with the reason instead of crashing the worker
        raise NoLivePac(f"La configuración del PAC está incompleta: {exc.message}") from exc


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


# --- cancellation (issue 11) ---------------------------------------------------------------------


@cache
def sandbox_cancellations() -> SandboxCancellationsType:
    from django.utils import timezone

    from timbra.sandbox.cancellations import SandboxCancellations

    return SandboxCancellations(timezone.now)


def canceller_for(livemode: bool, org: Org | None = None) -> PacCancellation:
    """Who files a cancellation: the invoice's PAC (the org's own once live, else TIMBRA_PAC) when it can
    cancel; in test mode the sandbox."""
    pac = pac_for(livemode, org)
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
