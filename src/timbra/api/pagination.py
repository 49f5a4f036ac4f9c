"""Cursor pagination, newest first: `?limit=20&cursor=<next_cursor of the previous page>`.

A cursor is the (created_at, id) of the last row shown, so pages stay stable while new
rows arrive (offset pages would repeat or skip rows under concurrent inserts).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db.models import Model, Q, QuerySet
from ninja import Schema
from pydantic import Field

from timbra.api.errors import ApiError

M = TypeVar("M", bound=Model)
T = TypeVar("T")

MAX_LIMIT = 100


class PageParams(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Cuántos resultados (máximo 100).")
    cursor: str | None = Field(None, max_length=200, description="El `next_cursor` de la página anterior.")


class Page(Schema, Generic[T]):
    """A page of results, newest first."""

    data: list[T]
    has_more: bool
    next_cursor: str | None = Field(None, description="Pásalo como `cursor` para la siguiente página.")


@dataclass(frozen=True)
class Slice(Generic[M]):
    rows: list[M]
    has_more: bool
    next_cursor: str | None

    def as_page(self) -> dict[str, Any]:
        """The Page envelope with model rows; ninja resolves them through the response schema."""
        return {"data": self.rows, "has_more": self.has_more, "next_cursor": self.next_cursor}


def encode_cursor(created_at: datetime, pk: int) -> str:
    raw = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Inverse of encode_cursor; a tampered or foreign cursor is a 422, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.rsplit("|", 1)
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive cursor")
        return created_at, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ApiError(422, "validation_error",
                       "El cursor no es válido; usa el «next_cursor» de la respuesta anterior.",
                       field="cursor") from exc


def where(queryset: QuerySet[M], **conditions: Any) -> QuerySet[M]:
    """`queryset` narrowed by the list filters the caller gave (a None or empty filter is not
    applied): `where(rows, status=filters.status, customer_id=filters.customer_id)`."""
    given = {name: value for name, value in conditions.items() if value is not None and value != ""}
    return queryset.filter(**given) if given else queryset


def paginate(queryset: QuerySet[M], params: PageParams) -> Slice[M]:
    """One page of `queryset` ordered by (-created_at, -id)."""
    queryset = queryset.order_by("-created_at", "-pk")
    if params.cursor:
        created_at, pk = decode_cursor(params.cursor)
        queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    rows = list(queryset[: params.limit + 1])
    has_more = len(rows) > params.limit
    rows = rows[: params.limit]
    last: Any = rows[-1] if rows else None
    next_cursor = encode_cursor(last.created_at, last.pk) if has_more and last is not None else None
    return Slice(rows=rows, has_more=has_more, next_cursor=next_cursor)
