"""Regenerate src/timbra/domain/catalog_data/*.json from the SAT catalog SQL dumps.

Source: phpcfdi/resources-sat-catalogs (public domain), as kept in shared/sat/catalogs.
Usage: python scripts/build_catalogs.py [CATALOG_SQL_DIR [OUT_DIR]]
(defaults: <repo>/../shared/sat/catalogs and src/timbra/domain/catalog_data). Output is deterministic (sorted keys), so a
re-run without new SQL produces no diff.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "src" / "timbra" / "domain" / "catalog_data"
DEFAULT_SQL_DIR = REPO.parent / "shared" / "sat" / "catalogs"

# name -> (SQL table, key columns, kept columns as "column" or "column:kind").
# kinds: bool (SQL 1 / '' -> true / false), int, list (comma-separated codes).
# vigencia_desde / vigencia_hasta are always kept when the table has them and they are non-empty.
SPECS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "usos_cfdi": (
        "cfdi_40_usos_cfdi",
        ("id",),
        ("texto", "aplica_fisica:bool", "aplica_moral:bool", "regimenes_fiscales_receptores:list"),
    ),
    "regimenes_fiscales": (
        "cfdi_40_regimenes_fiscales",
        ("id",),
        ("texto", "aplica_fisica:bool", "aplica_moral:bool"),
    ),
    "formas_pago": ("cfdi_40_formas_pago", ("id",), ("texto", "es_bancarizado:bool")),
    "metodos_pago": ("cfdi_40_metodos_pago", ("id",), ("texto",)),
    "monedas": ("cfdi_40_monedas", ("id",), ("texto", "decimales:int", "porcentaje_variacion:int")),
    "objetos_impuestos": ("cfdi_40_objetos_impuestos", ("id",), ("texto",)),
    "reglas_tasa_cuota": (
        "cfdi_40_reglas_tasa_cuota",
        (),
        ("tipo", "minimo", "valor", "impuesto", "factor", "traslado:bool", "retencion:bool"),
    ),
    "tipos_comprobantes": ("cfdi_40_tipos_comprobantes", ("id",), ("texto",)),
    "tipos_relaciones": ("cfdi_40_tipos_relaciones", ("id",), ("texto",)),
    "exportaciones": ("cfdi_40_exportaciones", ("id",), ("texto",)),
    "impuestos": ("cfdi_40_impuestos", ("id",), ("texto", "retencion:bool", "traslado:bool")),
    "tipos_factores": ("cfdi_40_tipos_factores", ("id",), ()),
    "periodicidades": ("cfdi_40_periodicidades", ("id",), ("texto",)),
    "meses": ("cfdi_40_meses", ("id",), ("texto",)),
    "claves_unidades": ("cfdi_40_claves_unidades", ("id",), ("texto",)),
    "paises": (
        "cfdi_40_paises",
        ("id",),
        ("texto", "patron_codigo_postal", "patron_identidad_tributaria"),
    ),
    "estados": ("cfdi_40_estados", ("pais", "estado"), ("texto",)),
}
VIGENCIA_COLUMNS = ("vigencia_desde", "vigencia_hasta")
# Almost every code starts on CFDI 4.0's first day; omitting that default keeps the files small.
CFDI40_START = "2022-01-01"


def convert(value: Any, kind: str) -> Any:
    """Turn one SQL cell into its JSON form."""
    if kind == "bool":
        return value not in ("", 0, None)
    if kind == "int":
        return int(value)
    if kind == "list":
        return sorted(code.strip() for code in str(value).split(",") if code.strip())
    return value


def build_row(row: sqlite3.Row, columns: tuple[str, ...]) -> dict[str, Any]:
    """Kept columns plus non-empty vigencias of one SQL row."""
    out: dict[str, Any] = {}
    for spec in columns:
        name, _, kind = spec.partition(":")
        out[name] = convert(row[name], kind)
    for name in VIGENCIA_COLUMNS:
        if name in row.keys() and row[name] and row[name] != CFDI40_START:
            out[name] = row[name]
    return out


def build_catalog(db: sqlite3.Connection, table: str, keys: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """A table as {key: row}, {key1: {key2: row}} or, without a key, a list of rows."""
    rows = db.execute(f'SELECT * FROM "{table}"').fetchall()  # table names are constants
    if not keys:
        return [build_row(row, columns) for row in rows]
    if len(keys) == 1:
        return {row[keys[0]]: build_row(row, columns) for row in rows}
    nested: dict[str, dict[str, Any]] = {}
    for row in rows:
        nested.setdefault(row[keys[0]], {})[row[keys[1]]] = build_row(row, columns)
    return nested


def dumps(data: Any) -> str:
    """JSON with one catalog row per line: compact, yet diffs stay readable."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    if isinstance(data, list):
        return "[\n" + ",\n".join(one(row) for row in data) + "\n]\n"
    lines = (f"{one(key)}:{one(data[key])}" for key in sorted(data))
    return "{\n" + ",\n".join(lines) + "\n}\n"


def load_sql(sql_dir: Path) -> sqlite3.Connection:
    """Execute every cfdi_40_*.sql dump into one in-memory SQLite database."""
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    for path in sorted(sql_dir.glob("cfdi_40_*.sql")):
        db.executescript(path.read_text(encoding="utf-8"))
    return db


def main(argv: list[str]) -> int:
    sql_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_SQL_DIR
    out_dir = Path(argv[2]) if len(argv) > 2 else OUT_DIR
    db = load_sql(sql_dir)
    if not db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
        print(f"no cfdi_40_*.sql dumps in {sql_dir}", file=sys.stderr)
        return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, (table, keys, columns) in SPECS.items():
        data = build_catalog(db, table, keys, columns)
        (out_dir / f"{name}.json").write_text(dumps(data), encoding="utf-8")
        print(f"{name}: {len(data)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
