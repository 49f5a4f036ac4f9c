"""Errors a caller of the global invoice and autofactura services sees: a stable code and a
Spanish message."""

from __future__ import annotations


class GlobalInvoiceError(Exception):
    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
