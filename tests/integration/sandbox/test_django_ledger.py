"""DjangoLedger: the sandbox PAC's commit, unique on the exact signed bytes, safe under races."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connections

from tests.unit.pac.cfdi_factory import NOW, CfdiSpec, sat_dir, signed_cfdi
from timbra.cfdi.pac import StampResult
from timbra.cfdi.sandbox_checks import load_test_taxpayers
from timbra.cfdi.sandbox_pac import LedgerEntry, SandboxPac
from timbra.sandbox.ledger import DjangoLedger
from timbra.sandbox.models import SandboxStamp


def entry(digest: str, uuid: str, xml: bytes = b"<stamped/>") -> LedgerEntry:
    return LedgerEntry(
        xml_sha256=digest, uuid=uuid, stamped_xml=xml, emisor_rfc="EKU9003173C9", created_at=NOW
    )


@pytest.fixture
def sandbox(tmp_path: Path) -> SandboxPac:
    taxpayers = load_test_taxpayers(sat_dir() / "test-taxpayers.csv")
    return SandboxPac.for_home(tmp_path, DjangoLedger(), taxpayers, lambda: NOW)


@pytest.mark.django_db
def test_add_then_get_returns_the_same_bytes() -> None:
    ledger = DjangoLedger()
    stored, created = ledger.add(entry("a" * 64, "UUID-A", b"<cfdi>\xc3\x91</cfdi>"))
    assert created is True
    found = ledger.get("a" * 64)
    assert found == stored
    assert isinstance(found.stamped_xml, bytes)
    assert ledger.get("b" * 64) is None


@pytest.mark.django_db
def test_second_add_for_the_same_bytes_returns_the_first_stamp() -> None:
    ledger = DjangoLedger()
    ledger.add(entry("a" * 64, "UUID-FIRST", b"<first/>"))
    stored, created = ledger.add(entry("a" * 64, "UUID-SECOND", b"<second/>"))
    assert (created, stored.uuid, stored.stamped_xml) == (False, "UUID-FIRST", b"<first/>")
    assert SandboxStamp.objects.count() == 1


@pytest.mark.django_db
def test_sandbox_with_django_ledger_answers_the_same_bytes_with_the_same_uuid(sandbox: SandboxPac) -> None:
    signed = signed_cfdi()
    first, second = sandbox.stamp(signed), sandbox.stamp(signed)
    assert second.uuid == first.uuid and second.already_stamped
    assert sandbox.recover(signed) == second
    assert SandboxStamp.objects.get().uuid == first.uuid


class BothInsertLedger(DjangoLedger):
    """Holds the first two inserts until both workers have stamped, so they really race to insert
    (the sandbox inserts first and reads the ledger only when the insert loses)."""

    def __init__(self) -> None:
        self.both_stamped = threading.Barrier(2, timeout=30)

    def add(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        if not self.both_stamped.broken:
            try:
                self.both_stamped.wait()
            except threading.BrokenBarrierError:
                pass
        return super().add(entry)


@pytest.mark.django_db(transaction=True)
def test_two_threads_stamping_the_same_bytes_concurrently_get_one_uuid(tmp_path: Path) -> None:
    # given one signed CFDI and two workers that both stamp it before either inserts
    taxpayers = load_test_taxpayers(sat_dir() / "test-taxpayers.csv")
    ledger = BothInsertLedger()
    sandbox = SandboxPac.for_home(tmp_path, ledger, taxpayers, lambda: NOW)
    signed = signed_cfdi(CfdiSpec(folio="race"))
    results: list[StampResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(sandbox.stamp(signed))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    # when both stamp at once (each mints its own UUID, both insert)
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then the unique key lets one commit and the other answers with that same stamp
    assert errors == []
    assert len(results) == 2
    assert len({result.uuid for result in results}) == 1
    assert sorted(result.already_stamped for result in results) == [False, True]
    assert list(SandboxStamp.objects.values_list("uuid", flat=True)) == [results[0].uuid]
