"""Shared schema pieces: money as strings out, Decimal in (never float), strict inputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import ConfigDict, Field

from timbra.domain.money import round_amount


class InputSchema(Schema):
    """Unknown fields are an error, so nobody can smuggle org_id/livemode/status into a write
    (mass assignment, ASVS 15.3.3) or believe a misspelt field was applied."""

    model_config = ConfigDict(extra="forbid")


# The API parser reads JSON numbers as Decimal (timbra.api.parser), and pydantic turns
# strings into Decimal, so "1158.84" and 1158.84 both arrive exact. NaN/Infinity are refused.
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2, allow_inf_nan=False)]
UnitPrice = Annotated[Decimal, Field(ge=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]
Quantity = Annotated[Decimal, Field(gt=0, max_digits=20, decimal_places=6, allow_inf_nan=False)]


def money(value: Decimal | None) -> str | None:
    """An amount as the API shows it: a string with 2 decimals ("1158.84")."""
    return None if value is None else f"{round_amount(value, 2):f}"


def decimal_text(value: Decimal | None, *, min_places: int = 0) -> str | None:
    """A stored 6-decimal number without the noise: "999.00", "0.106667", "2"."""
    if value is None:
        return None
    text = f"{value.normalize():f}"
    places = len(text.partition(".")[2])
    if places < min_places:
        text = f"{value:.{min_places}f}"
    return text


class ProblemOut(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorDetail(Schema):
    code: str = Field(description="Código estable, p. ej. «validation_error», «not_found».")
    message: str = Field(description="Mensaje en español para personas.")
    field: str | None = Field(None, description="Campo de la solicitud al que se refiere, si aplica.")
    details: list[ProblemOut] | None = Field(
        None, description="Todos los problemas, cuando la solicitud incumple varias reglas a la vez.")


class ErrorOut(Schema):
    error: ErrorDetail


class TotalsOut(Schema):
    """Resolvers for the CFDI totals as strings with 2 decimals, read from `subtotal`,
    `descuento`, `total_traslados`, `total_retenciones` and `total` (invoices and previews
    alike). A mixin without fields, so each schema keeps its own field order."""

    @staticmethod
    def resolve_subtotal(obj: Any) -> str | None:
        return money(obj.subtotal)

    @staticmethod
    def resolve_descuento(obj: Any) -> str | None:
        return money(obj.descuento)

    @staticmethod
    def resolve_total_impuestos_trasladados(obj: Any) -> str | None:
        return money(obj.total_traslados)

    @staticmethod
    def resolve_total_impuestos_retenidos(obj: Any) -> str | None:
        return money(obj.total_retenciones)

    @staticmethod
    def resolve_total(obj: Any) -> str | None:
        return money(obj.total)


class LineAmountsOut(Schema):
    """Resolvers for a line's cantidad, valor unitario, descuento and importe as strings
    (no fields here, so each line schema keeps its own field order)."""

    @staticmethod
    def resolve_cantidad(obj: Any) -> str | None:
        return decimal_text(obj.cantidad)

    @staticmethod
    def resolve_valor_unitario(obj: Any) -> str | None:
        return decimal_text(obj.valor_unitario, min_places=2)

    @staticmethod
    def resolve_descuento(obj: Any) -> str | None:
        return money(obj.descuento)

    @staticmethod
    def resolve_importe(obj: Any) -> str | None:
        return money(obj.importe)
