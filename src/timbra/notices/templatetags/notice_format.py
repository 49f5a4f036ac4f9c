"""Amounts in notice emails: "1,160.00" whatever the active locale (jobs have none)."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def amount(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value):,.2f}"


@register.filter
def quantity(value: Decimal | None) -> str:
    return "" if value is None else f"{Decimal(value).normalize():f}"
