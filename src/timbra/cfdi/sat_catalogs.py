"""The full SAT catalogs satcfdi ships (its catalogs.db), for what the shared JSON catalogs lack.

c_ClaveProdServ has ~52,500 codes; `domain.catalogs` checks only its format, so a well-formed key
the SAT never issued (99999999) would pass until the PAC rejects it (CFDI40162). Issue 11 checks it
against the full catalog wherever a code is saved.
"""

from __future__ import annotations

from functools import lru_cache

from satcfdi.catalogs import select


@lru_cache(maxsize=8192)
def clave_prod_serv_exists(code: str) -> bool:
    """Whether c_ClaveProdServ has `code` (a cheap indexed lookup, cached per process)."""
    return bool(code) and select("C756_c_ClaveProdServ", code) is not None


@lru_cache(maxsize=4096)
def clave_unidad_exists(code: str) -> bool:
    return bool(code) and select("C756_c_ClaveUnidad", code) is not None
