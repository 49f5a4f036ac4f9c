"""Exact decimal storage: an integer count of 10**-scale units.

SQLite has no exact decimal type (Django's DecimalField becomes REAL there), so money
and rates are stored as BigIntegers and surface in Python as `Decimal` (STYLE.md §1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from timbra.domain.money import from_minor, to_minor


class ScaledDecimalField(models.BigIntegerField):
    """A Decimal in Python, `round(value * 10**scale)` in the database."""

    def __init__(self, *args: Any, scale: int = 2, **kwargs: Any) -> None:
        self.scale = scale
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["scale"] = self.scale
        return name, path, args, kwargs

    def from_db_value(self, value: int | None, expression: Any, connection: Any) -> Decimal | None:
        return None if value is None else from_minor(int(value), self.scale)

    def to_python(self, value: Any) -> Decimal | None:
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except Exception as exc:
            raise ValidationError("Cantidad no válida: %(value)s", params={"value": value}) from exc

    def get_prep_value(self, value: Any) -> int | None:
        """Never rounds: a value with more decimals than the scale is a bug upstream
        (inputs are validated to the scale; amounts come from `round_amount`)."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("ScaledDecimalField never takes float; use Decimal")
        return to_minor(value if isinstance(value, Decimal) else Decimal(str(value)), self.scale)
