"""Server-rendered charts: inline SVG, no JavaScript, nothing from a CDN (issue 13)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from timbra.dashboard.metrics import MonthValue

register = template.Library()

MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
WIDTH, HEIGHT, AXIS = 600, 180, 20


@register.simple_tag
def month_bars(points: Sequence[MonthValue], title: str) -> SafeString:
    """A bar per month scaled to the largest; the SVG scales to its container's width."""
    if not points:
        return SafeString("")
    top = max((p.value for p in points), default=Decimal(0)) or Decimal(1)
    slot = WIDTH / len(points)
    bars = []
    for i, point in enumerate(points):
        height = float(point.value / top) * (HEIGHT - AXIS - 14)
        x = i * slot + slot * 0.15
        y = HEIGHT - AXIS - height
        label = f"{MONTHS[point.month.month - 1]} {point.month.year}: ${point.value:,.2f} MXN"
        bars.append((f"{x:.1f}", f"{y:.1f}", f"{slot * 0.7:.1f}", f"{height:.1f}", label,
                     f"{x + slot * 0.35:.1f}", HEIGHT - 5, MONTHS[point.month.month - 1]))
    body = format_html_join(
        "", '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
            '<text x="{}" y="{}" text-anchor="middle">{}</text>', bars)
    return format_html('<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
                       '>{}</svg>', WIDTH, HEIGHT, title, body)


@register.simple_tag
def share_bar(parts: Sequence[tuple[str, str, int]]) -> SafeString:
    """One horizontal bar split by status (status, label, count); empty statuses are skipped."""
    total = sum(count for _, _, count in parts)
    if not total:
        return SafeString("")
    segments = format_html_join(
        "", '<span class="seg seg-{}" style="flex-grow: {}" title="{}: {}"></span>',
        ((status, count, label, count) for status, label, count in parts if count))
    return format_html('<div class="share-bar" role="img" aria-label="Facturas por estado">{}</div>', segments)
