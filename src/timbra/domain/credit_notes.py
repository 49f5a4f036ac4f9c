"""What an Egreso (nota de crédito) for money given back states, in pure terms.

SAT's Guía de llenado del CFDI (Anexo 20, apéndice "Emisión de CFDI de egresos"): for
devoluciones, descuentos o bonificaciones the concepto carries ClaveProdServ 84111506
"Servicios de facturación" and ClaveUnidad ACT "Actividad"; the Egreso relates the Ingreso
it reduces with TipoRelacion 01 "Nota de crédito de los documentos relacionados"; its
UsoCFDI is G02 "Devoluciones, descuentos o bonificaciones" where c_UsoCFDI allows it for the
receptor's régimen, else S01 "Sin efectos fiscales" (allowed for every régimen).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from timbra.domain import catalogs
from timbra.domain.draft import TaxRate
from timbra.domain.money import quantum
from timbra.domain.taxpayer import is_generic_rfc

CLAVE_PROD_SERV = "84111506"  # Servicios de facturación
CLAVE_UNIDAD = "ACT"  # Actividad
UNIDAD = "Actividad"
TIPO_RELACION = "01"  # Nota de crédito de los documentos relacionados
USO_DEVOLUCIONES = "G02"
USO_SIN_EFECTOS = "S01"


def uso_cfdi(rfc: str, regimen_fiscal: str) -> str:
    """G02 when c_UsoCFDI allows it for the receptor (RFC type and régimen), else S01."""
    entry = catalogs.uso_cfdi(USO_DEVOLUCIONES)
    if entry is None or is_generic_rfc(rfc) or regimen_fiscal not in entry.regimenes_fiscales_receptores:
        return USO_SIN_EFECTOS
    return USO_DEVOLUCIONES


def allocate(total: Decimal, weights: Sequence[Decimal], places: int = 2) -> list[Decimal]:
    """Split `total` in proportion to `weights`, each share at `places` decimals, adding up
    exactly to `total` (largest remainder). All-zero weights split evenly."""
    if not weights:
        return []
    unit = quantum(places)
    base = [w if w > 0 else Decimal(0) for w in weights]
    whole = sum(base, Decimal(0))
    if whole == 0:
        base, whole = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [total * w / whole for w in base]
    shares = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
    left = int(((total - sum(shares, Decimal(0))) / unit).to_integral_value())
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[:left]:
        shares[i] += unit
    return shares


def has_retenciones(rates: Sequence[TaxRate]) -> bool:
    return any(rate.retencion for rate in rates)


def net_factor(rates: Sequence[TaxRate]) -> Decimal:
    """What a customer pays per peso of base: 1 + traslados − retenciones (Tasa only)."""
    factor = Decimal(1)
    for rate in rates:
        if rate.tipo_factor == "Tasa" and rate.tasa_o_cuota is not None:
            factor += -rate.tasa_o_cuota if rate.retencion else rate.tasa_o_cuota
    return factor
