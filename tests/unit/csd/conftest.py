"""Shared CSD material: the SAT's real test CSD and throw-away certificates minted once per session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from timbra.csd.testca import MintedCsd, mint_csd

REPO_ROOT = Path(__file__).resolve().parents[3]
SAT_CERTS = REPO_ROOT.parent / "shared" / "sat" / "certs"
MEXICO_CITY = ZoneInfo("America/Mexico_City")
# Inside the SAT test CSD's validity (2023-05-18 .. 2027-05-18).
AS_OF = datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY)
MINTED_FROM = datetime(2025, 1, 1, tzinfo=UTC)
MINTED_TO = datetime(2029, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SatCsd:
    cer: bytes
    key: bytes
    password: str = "12345678a"
    rfc: str = "EKU9003173C9"
    no_certificado: str = "30001000000500003416"


@pytest.fixture(scope="session")
def sat_csd() -> SatCsd:
    return SatCsd(
        cer=(SAT_CERTS / "EKU9003173C9.cer").read_bytes(),
        key=(SAT_CERTS / "EKU9003173C9.key").read_bytes(),
    )


@pytest.fixture(scope="session")
def minted_csd() -> MintedCsd:
    return mint_csd(
        "TPR190101AB1",
        "TIMBRA PRUEBAS",
        valid_from=MINTED_FROM,
        valid_to=MINTED_TO,
        password="clave-de-prueba-1",
        representante_rfc="VADA800927DJ3",
    )


@pytest.fixture(scope="session")
def minted_fiel() -> MintedCsd:
    return mint_csd(
        "TPR190101AB1",
        "TIMBRA PRUEBAS",
        valid_from=MINTED_FROM,
        valid_to=MINTED_TO,
        password="clave-de-prueba-1",
        kind="fiel",
    )
