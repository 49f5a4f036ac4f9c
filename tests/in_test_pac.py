"""A PAC adapter name that is not the sandbox, for the live switch.

`pac_from_config` (timbra.invoicing.pacs) knows only the sandbox until the real adapters
(Finkok, SW sapien, Diverza) are merged, so these tests register one small PAC under the name
"finkok": it speaks the real protocol (`Pac` + `PacConnectionCheck`), checks the credentials it
was built with, and stamps through a sandbox that declares itself fiscally valid."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from timbra.cfdi.pac import PacRejected, PacUnavailable, StampResult
from timbra.invoicing import pacs

GOOD = {"username": "kemper@example.com", "password": "finkok-secreto-123"}
UNREACHABLE_URL = "http://127.0.0.1:9/"


@dataclass
class InTestPac:
    """A real-PAC-shaped adapter: bad credentials are rejected, an unreachable URL is unavailable."""

    credentials: Mapping[str, str]
    base_url: str | None
    test_environment: bool
    name: str = "finkok"
    stamps: list[str] = field(default_factory=list)

    @property
    def is_sandbox(self) -> bool:
        return self.test_environment

    def check_connection(self) -> None:
        if self.base_url == UNREACHABLE_URL.rstrip("/"):
            raise PacUnavailable("Conexión rechazada.")
        if dict(self.credentials) != GOOD:
            raise PacRejected("702", "Usuario o contraseña inválidos.")

    def stamp(self, signed_xml: bytes) -> StampResult:
        result = pacs.sandbox_pac().stamp(signed_xml)
        self.stamps.append(result.uuid)
        return result

    def recover(self, signed_xml: bytes) -> StampResult | None:
        return pacs.sandbox_pac().recover(signed_xml)


@pytest.fixture
def finkok(monkeypatch):
    """Register "finkok" with `pac_from_config`; yields the adapters it built (newest last).
    (Re-exported by tests/integration/conftest.py.)"""
    built: list[InTestPac] = []
    original = pacs.pac_from_config

    def pac_from_config(name, credentials, *, base_url=None, test_environment=True):
        if name != "finkok":
            return original(name, credentials, base_url=base_url, test_environment=test_environment)
        built.append(InTestPac(dict(credentials), base_url, test_environment))
        return built[-1]

    monkeypatch.setattr(pacs, "pac_from_config", pac_from_config)
    pacs._built_org_pac.cache_clear()
    yield built
    pacs._built_org_pac.cache_clear()
