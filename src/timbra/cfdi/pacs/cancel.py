"""The signed Cancelacion every adapter sends (satcfdi builds and signs it; SAT's schema, §5.1)."""

from __future__ import annotations

from datetime import datetime

from satcfdi.create.cancela import cancelacion

from timbra.cfdi.pac import CancelRequest
from timbra.cfdi.sandbox_checks import MEXICO_CITY


def signed_cancelacion(request: CancelRequest, *, now: datetime | None = None) -> cancelacion.Cancelacion:
    """One folio per request (Finkok's advice, §2.6), dated in Mexico City time.

    satcfdi's own `cancel()` dates the request with the server's naive local clock; a server on UTC
    would send a Fecha six hours ahead of the SAT's, so the adapters build the request here."""
    fecha = (now or datetime.now(MEXICO_CITY)).astimezone(MEXICO_CITY).replace(tzinfo=None, microsecond=0)
    folio = cancelacion.Folio(request.uuid.upper(), request.motivo, request.folio_sustitucion)
    return cancelacion.Cancelacion(request.signer, folio, fecha=fecha)  # type: ignore[arg-type]
