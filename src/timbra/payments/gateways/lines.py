"""What every gateway mapping shares: lines that add up to the money, forma de pago codes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from timbra.payments.gateways.base import PaymentLine

# c_FormaPago (Anexo 20) for what the Mexican gateways report.
FORMA_EFECTIVO = "01"  # OXXO and other cash at a store
FORMA_TRANSFERENCIA = "03"  # SPEI
FORMA_TARJETA_CREDITO = "04"
FORMA_DINERO_ELECTRONICO = "06"  # a wallet balance (Mercado Pago's account money)
FORMA_TARJETA_DEBITO = "28"
FORMA_INTERMEDIARIO = "31"  # anything else: the money came through the gateway as intermediary


def lines_or_total(
    lines: Sequence[PaymentLine], paid: Decimal, *, description: str
) -> tuple[PaymentLine, ...]:
    """The gateway's lines when they add up to what was paid; else one line for the amount
    paid, naming them (the money is never misstated on the CFDI)."""
    if lines and all(line.amount > 0 for line in lines) and sum(line.amount for line in lines) == paid:
        return tuple(lines)
    summary = "; ".join(line.descripcion for line in lines)[:800]
    return (
        PaymentLine(
            descripcion=description + (f": {summary}" if summary else ""),
            cantidad=Decimal(1),
            amount=paid,
        ),
    )
