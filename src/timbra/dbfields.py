"""Exact decimal storage: an integer count of 10**-scale units.

SQLite has no exact decimal type (Django's DecimalField becomes REAL there), so money
and rates are stored as BigIntegers and surface in Python as `Decimal` (STYLE.md §1).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class ScaledDecimalField(models.BigIntegerField):
    """A Decimal in Python, `round(value * 10**scale)` in the database."""

    def __init__(self, *args: Any, scale: int = 2, **kwargs: Any) -> None:
        self.scale = scale
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["scale"] = self.scale
        return name, path, args, kwargs

    def _quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.scale)

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value).scaleb(-self.scale)).quantize(self._quantum())

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value)).quantize(self._quantum(), rounding=ROUND_HALF_UP)
        except Exception as exc:
            raise ValidationError("Cantidad no válida: %(value)s", params={"value": value}) from exc

    def get_prep_value(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("ScaledDecimalField never takes float; use Decimal")
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
        return int(dec.scaleb(self.scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))
