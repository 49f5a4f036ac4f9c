"""Ledgers for the sandbox PAC (`timbra.cfdi.sandbox_pac.StampLedger`).

`DjangoLedger` is the real one (embedded and scaled-out modes); `InMemoryLedger` is the fake for unit
tests. Both give get-or-create semantics that hold under races: the unique key decides, not a check
before the insert (STYLE.md habit 6).
"""

from __future__ import annotations

import threading

from django.db import IntegrityError, transaction

from timbra.cfdi.sandbox_pac import LedgerEntry
from timbra.sandbox.models import SandboxStamp


class DjangoLedger:
    """Stamps in the `SandboxStamp` table, unique on the SHA-256 of the signed bytes."""

    def get(self, xml_sha256: str) -> LedgerEntry | None:
        """The stored stamp for these bytes, or None."""
        # xml_sha256 is unique: a bare LIMIT 1, no ORDER BY for .first() to add.
        row = next(iter(SandboxStamp.objects.filter(xml_sha256=xml_sha256)[:1]), None)
        return None if row is None else _entry(row)

    def add(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        """Insert; if the same bytes were stamped meanwhile, return that stamp instead (created=False)."""
        try:
            # Savepoint, so a losing insert inside a caller's transaction does not poison it.
            with transaction.atomic():
                SandboxStamp.objects.create(
                    xml_sha256=entry.xml_sha256,
                    uuid=entry.uuid,
                    stamped_xml=entry.stamped_xml,
                    emisor_rfc=entry.emisor_rfc,
                    created_at=entry.created_at,
                )
        except IntegrityError:
            existing = self.get(entry.xml_sha256)
            if existing is None:  # the UUID collided, not the bytes: astronomically unlikely, never hide it
                raise
            return existing, False
        return entry, True


class InMemoryLedger:
    """The same contract in a dict, for unit tests; safe across threads."""

    def __init__(self) -> None:
        self._entries: dict[str, LedgerEntry] = {}
        self._uuids: set[str] = set()
        self._lock = threading.Lock()

    def get(self, xml_sha256: str) -> LedgerEntry | None:
        """The stored stamp for these bytes, or None."""
        with self._lock:
            return self._entries.get(xml_sha256)

    def add(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        """Insert unless present; return (stored entry, created)."""
        with self._lock:
            existing = self._entries.get(entry.xml_sha256)
            if existing is not None:
                return existing, False
            if entry.uuid in self._uuids:
                raise ValueError(f"UUID {entry.uuid} already used for other bytes")
            self._entries[entry.xml_sha256] = entry
            self._uuids.add(entry.uuid)
            return entry, True

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _entry(row: SandboxStamp) -> LedgerEntry:
    return LedgerEntry(
        xml_sha256=row.xml_sha256,
        uuid=row.uuid,
        stamped_xml=bytes(row.stamped_xml),  # PostgreSQL returns memoryview
        emisor_rfc=row.emisor_rfc,
        created_at=row.created_at,
    )
