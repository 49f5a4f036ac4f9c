"""Errors a caller can act on: a stable code for programs, a Spanish message for people."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class InvoicingError(Exception):
    """Rejected input. `code` is stable; `message` is Spanish; `field` points at the input."""

    status_code = 422

    def __init__(self, code: str, message: str, *, field: str = "",
                 details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        # Every problem found when there is more than one ({"code", "message", "field"}), so a
        # caller fixes them all in one round instead of one per request.
        self.details = details or []


class NotFound(InvoicingError):
    status_code = 404

    def __init__(self, what: str = "recurso") -> None:
        super().__init__("not_found", f"No se encontró el {what}.")


def found(row: T | None, what: str) -> T:
    """`row`, or NotFound(`what`) when the lookup found nothing (another org's or mode's id is
    indistinguishable from none)."""
    if row is None:
        raise NotFound(what)
    return row
