"""Fake PAC servers that speak each PAC's real wire protocol, for the adapter and chaos tests.

    with serve(FakeFinkok(home, clock=clock)) as finkok:
        pac = pac_from_config("finkok", {...}, base_url=finkok.base_url)
        finkok.control.slow("stamp", 2.0)   # the next stamp answers after 2 s
        finkok.fake.core.stamp_count         # what the PAC really stamped

Each fake validates and stamps like a PAC (`core.StampingCore`), answers from a catalogue of the
PAC's documented bodies (see each module's docstring), and misbehaves on request (`server.Control`).
"""

from tests.fakes.diverza import FakeDiverza
from tests.fakes.finkok import FakeFinkok
from tests.fakes.server import Control, RunningFake, serve
from tests.fakes.swsapien import FakeSW

__all__ = ["Control", "FakeDiverza", "FakeFinkok", "FakeSW", "RunningFake", "serve"]
