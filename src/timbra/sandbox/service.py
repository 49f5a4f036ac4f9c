"""Wire the built-in sandbox PAC to this installation: its certificate lives under
TIMBRA_HOME, its ledger in the database (so every worker on every machine agrees that the
same signed XML has the same UUID)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from timbra.cfdi.sandbox_checks import Taxpayer, load_test_taxpayers
from timbra.cfdi.sandbox_pac import SandboxPac, load_or_create_sandbox_certificate
from timbra.cfdi.sandbox_pac import sandbox_certificate_pem as _pem
from timbra.sandbox.ledger import DjangoLedger

TAXPAYERS = Path(__file__).resolve().parent / "data" / "test-taxpayers.csv"
# Personas físicas for trying retentions in test mode (data/README.md says where they come from).
PERSONAS_FISICAS = Path(__file__).resolve().parent / "data" / "sandbox-personas-fisicas.csv"


def _now() -> datetime:
    return timezone.now()


def build_sandbox_pac() -> SandboxPac:
    registry = {**load_test_taxpayers(TAXPAYERS), **load_test_taxpayers(PERSONAS_FISICAS)}
    return SandboxPac.for_home(settings.TIMBRA_HOME, DjangoLedger(), registry, _now, emisor_lookup=registered_issuer)


def registered_issuer(rfc: str) -> Taxpayer | None:
    """An issuer onboarded in this Timbra, as the sandbox's emisor registry sees it (issue 11: a
    business tries test mode with its own RFC and CSD before it switches to live)."""
    from timbra.orgs.models import Org

    row = Org.objects.filter(rfc=rfc).values_list("nombre", "regimen_fiscal", "lugar_expedicion").first()
    return None if row is None else Taxpayer(rfc, *row)


def load_certificate() -> None:
    """Load (creating it on first use) the sandbox PAC's certificate and key; cached per process."""
    load_or_create_sandbox_certificate(settings.TIMBRA_HOME, _now())


def sandbox_certificate_pem() -> bytes:
    """The sandbox PAC's certificate (PEM), created on first use, to verify SelloSAT."""
    load_certificate()
    return _pem(settings.TIMBRA_HOME)
