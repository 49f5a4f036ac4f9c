"""SAT catalogs shipped as JSON: lookups, vigencia, c_TasaOCuota and the generator script."""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from timbra.domain import catalogs

REPO = Path(__file__).resolve().parents[3]
SQL_DIR = REPO.parent / "shared" / "sat" / "catalogs"
DATA_DIR = REPO / "src" / "timbra" / "domain" / "catalog_data"


def test_describe_gives_sat_text_under_both_catalog_names() -> None:
    assert catalogs.describe("regimen_fiscal", "601") == "General de Ley Personas Morales"
    assert catalogs.describe("c_RegimenFiscal", "626") == "Régimen Simplificado de Confianza"
    assert catalogs.describe("c_UsoCFDI", "G03") == "Gastos en general."
    assert catalogs.describe("c_ClaveUnidad", "E48") == "Unidad de servicio"


def test_describe_raises_lookup_error_for_unknown_code_or_catalog() -> None:
    with pytest.raises(LookupError):
        catalogs.describe("regimen_fiscal", "999")
    with pytest.raises(LookupError):
        catalogs.describe("c_ClaveProdServ", "81112101")


@pytest.mark.parametrize(("code", "decimals"), [("MXN", 2), ("USD", 2), ("JPY", 0), ("CLF", 4), ("XXX", 0)])
def test_moneda_decimales_follow_c_moneda(code: str, decimals: int) -> None:
    assert catalogs.moneda_decimales(code) == decimals


def test_moneda_decimales_rejects_unknown_currency() -> None:
    with pytest.raises(KeyError):
        catalogs.moneda_decimales("ZZZ")


def test_lookups_return_typed_entries() -> None:
    uso = catalogs.uso_cfdi("G03")
    assert uso is not None and uso.aplica_moral and "601" in uso.regimenes_fiscales_receptores
    regimen = catalogs.regimen("605")
    assert regimen is not None and regimen.aplica_fisica and not regimen.aplica_moral
    forma = catalogs.forma_pago("03")
    assert forma is not None and forma.es_bancarizado
    assert catalogs.uso_cfdi("G99") is None
    assert catalogs.forma_pago("07") is None


def test_claves_de_unidad_come_from_the_catalog() -> None:
    assert catalogs.is_valid_clave_unidad("E48")
    assert catalogs.is_valid_clave_unidad("H87")
    assert not catalogs.is_valid_clave_unidad("ZZ9")


def test_clave_prod_serv_is_format_checked_and_01010101_only_for_global() -> None:
    assert catalogs.is_valid_clave_prod_serv("81112101")
    assert not catalogs.is_valid_clave_prod_serv("8111210")
    assert not catalogs.is_valid_clave_prod_serv("8111210A")
    assert not catalogs.is_valid_clave_prod_serv("01010101")
    assert catalogs.is_valid_clave_prod_serv("01010101", global_invoice=True)


@pytest.mark.parametrize(
    ("impuesto", "factor", "value", "retencion", "allowed"),
    [
        ("002", "Tasa", "0.160000", False, True),
        ("002", "Tasa", "0.080000", False, True),  # border-region IVA
        ("002", "Tasa", "0.000000", False, True),
        ("002", "Tasa", "0.150000", False, False),
        ("002", "Tasa", "0.106667", True, True),  # IVA retención is a range 0..0.16
        ("002", "Tasa", "0.170000", True, False),
        ("002", "Tasa", "0.1600001", True, False),  # more than six decimals
        ("001", "Tasa", "0.012500", True, True),  # ISR RESICO
        ("001", "Tasa", "0.360000", True, False),
        ("001", "Tasa", "0.100000", False, False),  # ISR is never trasladado
        ("002", "Exento", None, False, True),
        ("002", "Exento", None, True, False),
        ("002", "Exento", "0.000000", False, False),
        ("003", "Tasa", "0.265000", False, True),
        ("003", "Tasa", "0.030000", True, False),
        ("002", "Tasa", None, False, False),
        ("004", "Tasa", "0.160000", False, False),
        ("002", "Porcentaje", "0.160000", False, False),
    ],
)
def test_tasa_allowed_follows_c_tasa_o_cuota(
    impuesto: str, factor: str, value: str | None, retencion: bool, allowed: bool
) -> None:
    rate = None if value is None else Decimal(value)
    assert catalogs.tasa_allowed(impuesto, factor, rate, retencion) is allowed


def test_tasa_rules_respect_vigencia_desde() -> None:
    # The IEPS Cuota range starts on 2026-01-01 in the catalog.
    cuota = Decimal("1.500000")
    assert not catalogs.tasa_allowed("003", "Cuota", cuota, False, as_of=date(2025, 12, 31))
    assert catalogs.tasa_allowed("003", "Cuota", cuota, False, as_of=date(2026, 1, 1))


def test_a_code_past_its_vigencia_hasta_is_invalid_but_still_describes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_load = catalogs._load

    def load(name: str) -> Any:
        if name != "usos_cfdi":
            return real_load(name)
        rows = dict(real_load(name))
        rows["G03"] = {**rows["G03"], "vigencia_hasta": "2026-06-30"}
        return rows

    monkeypatch.setattr(catalogs, "_load", load)
    assert catalogs.uso_cfdi("G03", as_of=date(2026, 6, 30)) is not None
    assert catalogs.uso_cfdi("G03", as_of=date(2026, 7, 1)) is None
    assert catalogs.uso_cfdi("G03") is None  # no date: anything with an end date counts as retired
    assert catalogs.describe("uso_cfdi", "G03") == "Gastos en general."


@pytest.mark.skipif(not SQL_DIR.is_dir(), reason="shared/sat/catalogs not beside the repo")
def test_build_script_reproduces_the_shipped_json(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_catalogs", REPO / "scripts" / "build_catalogs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    assert module.main(["build_catalogs.py", str(SQL_DIR), str(tmp_path)]) == 0

    built = {p.name: p.read_text("utf-8") for p in tmp_path.glob("*.json")}
    shipped = {p.name: p.read_text("utf-8") for p in DATA_DIR.glob("*.json") if p.name != BORDER_FILE}
    assert built == shipped


BORDER_FILE = "codigos_postales_estimulo.json"  # from satcfdi's c_CodigoPostal, not the SQL dumps


def test_the_border_estimulo_flags_are_exactly_satcfdis_c_codigo_postal() -> None:
    from satcfdi.catalogs import select_all

    regions = {"0": None, "1": "norte", "2": "sur"}
    expected = {cp: regions[row[3]] for cp, row in select_all("C756_c_CodigoPostal").items()}
    assert {cp: catalogs.region_fronteriza(cp) for cp in expected} == expected
    assert catalogs.region_fronteriza("22000") == "norte"  # Tijuana
    assert catalogs.region_fronteriza("30700") == "sur"  # Tapachula
    assert catalogs.region_fronteriza("42501") is None  # the SAT test issuer's CP
