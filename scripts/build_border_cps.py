"""Regenerate src/timbra/domain/catalog_data/codigos_postales_estimulo.json from satcfdi.

c_CodigoPostal carries SAT's "Estímulo Franja Fronteriza" column: "1" región fronteriza norte,
"2" región fronteriza sur, "0" none. Only the CPs with an estímulo are kept (5,519 of 95,749),
so the pure domain can tell whether IVA 8 % is allowed at a LugarExpedicion without importing
satcfdi. A test pins the file against satcfdi's catalog. Usage: python scripts/build_border_cps.py
"""

from __future__ import annotations

import json
from pathlib import Path

from satcfdi.catalogs import select_all

OUT = Path(__file__).resolve().parent.parent / "src" / "timbra" / "domain" / "catalog_data"


def main() -> None:
    rows = select_all("C756_c_CodigoPostal")
    regions: dict[str, list[str]] = {"1": [], "2": []}
    for cp, row in rows.items():
        if row[3] in regions:
            regions[row[3]].append(cp)
    data = {"norte": sorted(regions["1"]), "sur": sorted(regions["2"])}
    (OUT / "codigos_postales_estimulo.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
