"""`timbra simulate`: the future invoices as JSON or as text a person reads (es-MX)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from timbra.schedules.preview import PreviewInvoice


def as_json(items: Sequence[PreviewInvoice], *, until: date, as_of: datetime) -> dict[str, Any]:
    return {
        "until": until.isoformat(),
        "generated_at": as_of.isoformat(),
        "count": len(items),
        "totals": {moneda: str(total) for moneda, total in totals(items).items()},
        "invoices": [item.as_json() for item in items],
    }


def totals(items: Sequence[PreviewInvoice]) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for item in items:
        sums[item.moneda] = sums.get(item.moneda, Decimal("0.00")) + item.total
    return dict(sorted(sums.items()))


def as_text(items: Sequence[PreviewInvoice], *, until: date) -> str:
    lines = []
    for item in items:
        mode = "" if item.livemode else " [pruebas]"
        lines.append(f"{item.local_date:%d/%m/%Y}  #{item.schedule_id} {item.schedule_name}{mode} — "
                     f"{item.customer_rfc} {item.customer_nombre}")
        lines.append(f"            {item.period_label} · {item.metodo_pago} {item.forma_pago} · "
                     f"subtotal {_n(item.subtotal)}  total {_n(item.total)} {item.moneda}")
        if item.error_code:
            lines.append(f"            NO SE PODRÍA EMITIR: {item.error_message}")
        for line in item.lines:
            lines.append(f"              {line.cantidad.normalize():f} × {line.descripcion}  {_n(line.importe)}")
    summary = ", ".join(f"{moneda} {_n(total)}" for moneda, total in totals(items).items()) or "nada"
    lines.append(f"{len(items)} facturas hasta el {until:%d/%m/%Y}: {summary}. (Simulación: no se emitió nada.)")
    return "\n".join(lines)


def _n(amount: Decimal) -> str:
    return f"{amount:,.2f}"
