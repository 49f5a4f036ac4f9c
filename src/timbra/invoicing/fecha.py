"""The CFDI Fecha a caller may ask for: within SAT's 72-hour window, never in the future.

Anexo 20: Fecha is the local time at the place of issue, and the PAC stamps it only if it lies
no more than 72 hours before the moment of stamping (stamping code 401). A business may invoice
yesterday's sale, or a sale made in another time zone, by sending `fecha` (issue 10, defect 7).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from timbra.domain.rules import STAMP_WINDOW
from timbra.invoicing.errors import InvoicingError

# The window is checked again when sealing; this margin leaves time for the queue and the PAC,
# so a Fecha accepted now is not already stale when the PAC reads it.
STAMP_MARGIN = timedelta(minutes=10)


def requested_fecha(fecha: datetime | None, *, tz: ZoneInfo, as_of: datetime) -> datetime | None:
    """`fecha` as an aware datetime (naive = local time in `tz`), to the second; refuses one
    outside (as_of - 72 h + margin, as_of]."""
    if fecha is None:
        return None
    aware = (fecha.replace(tzinfo=tz) if fecha.tzinfo is None else fecha).replace(microsecond=0)
    if aware > as_of:
        raise InvoicingError(
            "fecha_fuera_de_rango",
            "La fecha del comprobante no puede ser posterior al momento actual: el SAT no acepta CFDI "
            "con fecha futura.",
            field="fecha",
        )
    if as_of - aware > STAMP_WINDOW - STAMP_MARGIN:
        raise InvoicingError(
            "fecha_fuera_de_rango",
            "La fecha del comprobante debe estar dentro de las últimas 72 horas (el SAT no timbra CFDI "
            "más antiguos); Timbra deja 10 minutos de margen para timbrarla a tiempo.",
            field="fecha",
        )
    return aware
