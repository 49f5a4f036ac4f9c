"""Checks shared by plans and schedules (Spanish messages, stable codes)."""

from __future__ import annotations

from decimal import Decimal

from timbra.domain import catalogs
from timbra.domain.periods import Frequency
from timbra.invoicing.errors import InvoicingError
from timbra.schedules.services.changes import engine_errors

MAX_NOTICE_DAYS = 60
FORMA_PAGO_POR_DEFINIR = "99"


def frequency_code(code: str) -> str:
    """The canonical code of a frequency ("every_n_months:3" -> "quarterly")."""
    with engine_errors():
        return Frequency.parse(code).code


def notice_days(days: int) -> int:
    if not 0 <= days <= MAX_NOTICE_DAYS:
        raise InvoicingError("notice_days_invalid", f"El aviso previo va de 0 a {MAX_NOTICE_DAYS} días.",
                             field="notice_days")
    return days


def forma_pago(prepaid: bool, code: str | None) -> str:
    """PPD always carries "99 Por definir" (Anexo 20, CFDI40105); a pre-paid (PUE) schedule
    needs the real forma de pago, known in advance (card, transfer...)."""
    if not prepaid:
        return FORMA_PAGO_POR_DEFINIR
    if not code or code == FORMA_PAGO_POR_DEFINIR or catalogs.forma_pago(code) is None:
        raise InvoicingError("forma_pago_required", "Una programación prepagada (PUE) necesita la forma de pago "
                             "del catálogo del SAT (p. ej. 03 transferencia, 04 tarjeta); «99» solo va con PPD.",
                             field="forma_pago")
    return code


def moneda(code: str, tipo_cambio: Decimal | None, *, needs_rate: bool = True) -> str:
    """A c_Moneda code; a schedule in another currency carries its TipoCambio (a plan does not:
    each member states its own)."""
    code = code.upper()
    if catalogs.moneda(code) is None or code == "XXX":
        raise InvoicingError("moneda_invalid", f"La moneda {code} no está en el catálogo del SAT.", field="moneda")
    if needs_rate and code != "MXN" and tipo_cambio is None:
        raise InvoicingError("tipo_cambio_required", "Con una moneda distinta de MXN indica el tipo de cambio.",
                             field="tipo_cambio")
    return code
