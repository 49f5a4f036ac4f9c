"""Refuse, where a code is saved (products, invoicing rules, invoice lines), a c_ClaveProdServ or
c_ClaveUnidad the SAT's catalogs do not have, in Spanish, before the PAC does (issue 11)."""

from __future__ import annotations

from timbra.cfdi.sat_catalogs import clave_prod_serv_exists
from timbra.domain import catalogs
from timbra.invoicing.errors import InvoicingError


def require_clave_prod_serv(code: str, *, field: str = "clave_prod_serv") -> None:
    if not clave_prod_serv_exists(code):
        raise InvoicingError("clave_prod_serv_unknown", f"«{code}» no está en el catálogo c_ClaveProdServ del SAT; "
                             "búscala en el catálogo (por ejemplo 81112101 «Proveedores de servicio de internet»).",
                             field=field)


def require_clave_unidad(code: str, *, field: str = "clave_unidad") -> None:
    if not catalogs.is_valid_clave_unidad(code):
        raise InvoicingError("clave_unidad_invalid", f"«{code}» no es una clave de unidad vigente del catálogo "
                             "c_ClaveUnidad del SAT.", field=field)
