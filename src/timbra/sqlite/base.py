"""Django's SQLite backend; every write transaction (`BEGIN IMMEDIATE`) first passes the
database's `WriterGate` and lets it go at COMMIT or ROLLBACK (see `gate` for why)."""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base

from timbra.sqlite.gate import WriterGate
from timbra.sqlite.private import make_private


class DatabaseWrapper(base.DatabaseWrapper):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django gives each thread its own wrapper, so each thread its own gate (own open file).
        self._writer_gate: WriterGate | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if not self.is_in_memory_db():
            make_private(str(conn_params.get("database", "")))  # 0600, with its -wal/-shm (issue 14 §2)
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self) -> None:
        if not self.is_in_memory_db():
            name = str(self.settings_dict["NAME"])  # read now: the test runner renames the database
            if self._writer_gate is None or self._writer_gate.database != name:
                self._writer_gate = WriterGate(name)
            self._writer_gate.acquire()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._let_go()
            raise

    def _let_go(self) -> None:
        if self._writer_gate is not None:
            self._writer_gate.release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._let_go()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._let_go()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._let_go()
