from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from timbra.cfdi.sandbox_checks import Taxpayer, load_test_taxpayers
from timbra.cfdi.sandbox_pac import SandboxPac
from timbra.sandbox.ledger import InMemoryLedger

from .cfdi_factory import NOW, sat_dir


class FrozenClock:
    """An injectable clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture(scope="session")
def taxpayers() -> dict[str, Taxpayer]:
    return load_test_taxpayers(sat_dir() / "test-taxpayers.csv")


@pytest.fixture
def ledger() -> InMemoryLedger:
    return InMemoryLedger()


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One home for the session: the sandbox certificate is generated once, as in production.
    return tmp_path_factory.mktemp("timbra-home")


@pytest.fixture
def make_pac(
    sandbox_home: Path, ledger: InMemoryLedger, taxpayers: dict[str, Taxpayer], clock: FrozenClock
) -> Callable[..., SandboxPac]:
    def make(**kwargs: object) -> SandboxPac:
        options: dict[str, object] = {"taxpayers": taxpayers, **kwargs}
        return SandboxPac.for_home(sandbox_home, ledger, clock=clock, **options)  # type: ignore[arg-type]

    return make


@pytest.fixture
def pac(make_pac: Callable[..., SandboxPac]) -> SandboxPac:
    return make_pac()


# --- fake PAC servers (tests/fakes) -------------------------------------------------------------

@pytest.fixture
def fast_timeouts():  # noqa: ANN201
    from timbra.cfdi.pacs.transport import Timeouts

    return Timeouts(connect=2.0, read=1.5)


@pytest.fixture
def fake_finkok(sandbox_home: Path, clock: FrozenClock):  # noqa: ANN201
    from tests.fakes import FakeFinkok, serve

    with serve(FakeFinkok(sandbox_home, clock=clock)) as running:
        yield running


@pytest.fixture
def fake_sw(sandbox_home: Path, clock: FrozenClock):  # noqa: ANN201
    from tests.fakes import FakeSW, serve

    with serve(FakeSW(sandbox_home, clock=clock)) as running:
        yield running


@pytest.fixture
def fake_diverza(sandbox_home: Path, clock: FrozenClock):  # noqa: ANN201
    from tests.fakes import FakeDiverza, serve

    with serve(FakeDiverza(sandbox_home, clock=clock)) as running:
        yield running
