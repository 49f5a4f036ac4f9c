"""check_draft: each SAT rule a PAC would reject on, and the code it yields."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.unit.domain import drafts
from timbra.domain.draft import ISR, IVA, CfdiRelacionados, InformacionGlobal, InvoiceDraft, TaxRate
from timbra.domain.rules import check_draft

MX = ZoneInfo("America/Mexico_City")
STAMP_AT = datetime(2026, 11, 20, 10, 5, tzinfo=MX)  # five minutes after drafts.FECHA
UUID = "E4DC7C12-CF80-452F-9734-EDF6FBF334BF"


def check(draft: InvoiceDraft, **kwargs: Any) -> list[tuple[str, str]]:
    return [(p.code, p.field) for p in check_draft(draft, stamp_at=STAMP_AT, tz=MX, **kwargs)]


def receptor(**changes: Any) -> InvoiceDraft:
    return drafts.draft(receptor=replace(drafts.RECEPTOR, **changes))


def emisor(**changes: Any) -> InvoiceDraft:
    return drafts.draft(emisor=replace(drafts.EMISOR, **changes))


def line(*taxes: TaxRate, **changes: Any) -> InvoiceDraft:
    """A draft whose only concepto is 1000.00 with `taxes` (default IVA 16 %) and `changes`."""
    base = drafts.concepto("1000.00", *(taxes or (drafts.IVA16,)))
    return drafts.draft(replace(base, **changes))


def generic(rfc: str, nombre: str, **changes: Any) -> InvoiceDraft:
    fields = {"regimen_fiscal_receptor": "616", "uso_cfdi": "S01", "domicilio_fiscal_receptor": "42501"}
    return receptor(rfc=rfc, nombre=nombre, **{**fields, **changes})


def test_a_correct_draft_has_no_problems() -> None:
    assert check(drafts.draft()) == []


@pytest.mark.parametrize(
    "draft",
    [
        pytest.param(drafts.draft(metodo_pago="PPD", forma_pago="99"), id="ppd-with-99"),
        pytest.param(drafts.draft(moneda="MXN", tipo_cambio=Decimal(1)), id="mxn-with-tipo-cambio-1"),
        pytest.param(drafts.draft(moneda="USD", tipo_cambio=Decimal("17.254300")), id="usd-with-tipo-cambio"),
        pytest.param(
            drafts.draft(drafts.concepto("1000.00", drafts.IVA16, drafts.RET_IVA_2_3, drafts.RET_ISR_10),
                         emisor=drafts.EMISOR_HONORARIOS),
            id="retenciones",
        ),
        pytest.param(drafts.draft(drafts.concepto("1000.00", drafts.IVA_EXENTO)), id="iva-exento"),
        pytest.param(drafts.draft(drafts.concepto("1000.00")), id="no-objeto"),
        pytest.param(generic("XAXX010101000", "JUAN PEREZ LOPEZ"), id="nominative-xaxx"),
        pytest.param(generic("XEXX010101000", "ACME INC", residencia_fiscal="USA"), id="extranjero"),
        pytest.param(
            drafts.draft(
                tipo_de_comprobante="E",
                receptor=replace(drafts.RECEPTOR, uso_cfdi="G02"),
                cfdi_relacionados=(CfdiRelacionados("01", (UUID,)),),
            ),
            id="egreso-related",
        ),
    ],
)
def test_valid_variants_have_no_problems(draft: InvoiceDraft) -> None:
    assert check(draft) == []


def test_fecha_exactly_72_hours_old_is_still_accepted() -> None:
    stamp_at = drafts.FECHA.replace(tzinfo=MX) + timedelta(hours=72)
    assert check_draft(drafts.draft(), stamp_at=stamp_at, tz=MX) == []


def test_fecha_is_read_as_local_time_at_lugar_de_expedicion() -> None:
    # 10:00 in Tijuana is 12:00 in Mexico City: later than STAMP_AT, so in the future.
    problems = check_draft(drafts.draft(), stamp_at=STAMP_AT, tz=ZoneInfo("America/Tijuana"))
    assert [(p.code, p.field) for p in problems] == [("401", "fecha")]


def test_stamp_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="stamp_at"):
        check_draft(drafts.draft(), stamp_at=datetime(2026, 11, 20, 10, 5), tz=MX)


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (datetime(2026, 11, 20, 16, 30, tzinfo=UTC), None),  # 10:30 local, after Fecha
        (None, datetime(2026, 11, 20, 15, 59, tzinfo=UTC)),  # expired a minute before Fecha
    ],
)
def test_fecha_outside_the_csd_validity_yields_305(
    valid_from: datetime | None, valid_to: datetime | None
) -> None:
    assert check(drafts.draft(), csd_valid_from=valid_from, csd_valid_to=valid_to) == [("305", "fecha")]


def test_csd_valid_at_fecha_passes() -> None:
    valid_from = datetime(2023, 5, 18, tzinfo=UTC)
    valid_to = datetime(2027, 5, 18, tzinfo=UTC)
    assert check(drafts.draft(), csd_valid_from=valid_from, csd_valid_to=valid_to) == []


RULES = [
    # Comprobante
    (
        "fecha-older-than-72h",
        drafts.draft(fecha=drafts.FECHA - timedelta(hours=72, seconds=301)),
        "401",
        "fecha",
    ),
    ("fecha-in-the-future", drafts.draft(fecha=drafts.FECHA + timedelta(minutes=6)), "401", "fecha"),
    ("fecha-aware", drafts.draft(fecha=drafts.FECHA.replace(tzinfo=MX)), "fecha_con_zona", "fecha"),
    ("fecha-microseconds", drafts.draft(fecha=drafts.FECHA.replace(microsecond=5)), "CFDI40101", "fecha"),
    ("tipo-unknown", drafts.draft(tipo_de_comprobante="Z"), "CFDI40121", "tipo_de_comprobante"),
    (
        "tipo-traslado",
        drafts.draft(tipo_de_comprobante="T"),
        "tipo_de_comprobante_no_soportado",
        "tipo_de_comprobante",
    ),
    ("exportacion-02", drafts.draft(exportacion="02"), "CFDI40122", "exportacion"),
    ("exportacion-unknown", drafts.draft(exportacion="09"), "CFDI40123", "exportacion"),
    (
        "lugar-expedicion-format",
        drafts.draft(lugar_expedicion="4250"),
        "codigo_postal_invalid",
        "lugar_expedicion",
    ),
    ("no-conceptos", replace(drafts.draft(), conceptos=()), "conceptos_required", "conceptos"),
    # Forma y método de pago
    ("metodo-missing", drafts.draft(metodo_pago=None), "metodo_pago_required", "metodo_pago"),
    ("metodo-unknown", drafts.draft(metodo_pago="PIP"), "CFDI40124", "metodo_pago"),
    ("forma-missing", drafts.draft(forma_pago=None), "forma_pago_required", "forma_pago"),
    ("forma-unknown", drafts.draft(forma_pago="07"), "CFDI40104", "forma_pago"),
    ("ppd-without-99", drafts.draft(metodo_pago="PPD", forma_pago="03"), "CFDI40105", "forma_pago"),
    ("pue-with-99", drafts.draft(metodo_pago="PUE", forma_pago="99"), "forma_pago_99_con_pue", "forma_pago"),
    # Moneda y tipo de cambio
    ("moneda-unknown", drafts.draft(moneda="ZZZ"), "CFDI40113", "moneda"),
    ("mxn-tipo-cambio-not-1", drafts.draft(tipo_cambio=Decimal("17.5")), "CFDI40114", "tipo_cambio"),
    ("usd-without-tipo-cambio", drafts.draft(moneda="USD"), "CFDI40115", "tipo_cambio"),
    ("xxx-with-tipo-cambio", drafts.draft(moneda="XXX", tipo_cambio=Decimal(1)), "CFDI40116", "tipo_cambio"),
    ("xxx-invoice", drafts.draft(moneda="XXX"), "moneda_xxx_no_permitida", "moneda"),
    ("tipo-cambio-zero", drafts.draft(moneda="USD", tipo_cambio=Decimal(0)), "CFDI40117", "tipo_cambio"),
    (
        "tipo-cambio-7-decimals",
        drafts.draft(moneda="USD", tipo_cambio=Decimal("17.1234567")),
        "CFDI40117",
        "tipo_cambio",
    ),
    (
        "descuento-decimals-jpy",
        drafts.draft(drafts.concepto("1000", descuento="10.50"), moneda="JPY", tipo_cambio=Decimal("0.12")),
        "CFDI40112",
        "conceptos[0].descuento",
    ),
    # Emisor
    ("emisor-rfc", emisor(rfc="EKU9002303C9"), "rfc_invalid", "emisor.rfc"),
    (
        "emisor-nombre-with-sa-de-cv",
        emisor(nombre="ESCUELA KEMPER URGATE SA DE CV"),
        "CFDI40139",
        "emisor.nombre",
    ),
    ("emisor-nombre-empty", emisor(nombre=""), "nombre_required", "emisor.nombre"),
    ("emisor-regimen-unknown", emisor(regimen_fiscal="999"), "CFDI40140", "emisor.regimen_fiscal"),
    ("emisor-regimen-persona", emisor(regimen_fiscal="612"), "CFDI40141", "emisor.regimen_fiscal"),
    # Receptor
    ("receptor-rfc", receptor(rfc="URE1804291M6X"), "rfc_invalid", "receptor.rfc"),
    (
        "receptor-nombre-with-sa",
        receptor(nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA SA"),
        "CFDI40145",
        "receptor.nombre",
    ),
    ("receptor-publico-not-xaxx", receptor(nombre="PUBLICO EN GENERAL"), "CFDI40146", "receptor.nombre"),
    (
        "receptor-cp-format",
        receptor(domicilio_fiscal_receptor="8699"),
        "codigo_postal_invalid",
        "receptor.domicilio_fiscal_receptor",
    ),
    (
        "receptor-regimen-unknown",
        receptor(regimen_fiscal_receptor="999"),
        "CFDI40157",
        "receptor.regimen_fiscal_receptor",
    ),
    (
        "receptor-regimen-persona",
        receptor(regimen_fiscal_receptor="612"),
        "CFDI40158",
        "receptor.regimen_fiscal_receptor",
    ),
    ("receptor-uso-unknown", receptor(uso_cfdi="G99"), "CFDI40160", "receptor.uso_cfdi"),
    ("receptor-uso-fisica-only", receptor(uso_cfdi="D01"), "CFDI40161", "receptor.uso_cfdi"),
    ("receptor-uso-pagos", receptor(uso_cfdi="CP01"), "uso_cfdi_tipo_incompatible", "receptor.uso_cfdi"),
    (
        "xaxx-publico-en-general-without-informacion-global",
        generic("XAXX010101000", "PUBLICO EN GENERAL"),
        "CFDI40130",
        "informacion_global",
    ),
    (
        "xaxx-regimen",
        generic("XAXX010101000", "JUAN PEREZ", regimen_fiscal_receptor="605"),
        "CFDI40159",
        "receptor.regimen_fiscal_receptor",
    ),
    ("xaxx-uso", generic("XAXX010101000", "JUAN PEREZ", uso_cfdi="G03"), "CFDI40161", "receptor.uso_cfdi"),
    (
        "xaxx-cp-not-lugar",
        generic("XAXX010101000", "JUAN PEREZ", domicilio_fiscal_receptor="06000"),
        "CFDI40149",
        "receptor.domicilio_fiscal_receptor",
    ),
    ("residencia-not-xexx", receptor(residencia_fiscal="USA"), "CFDI40151", "receptor.residencia_fiscal"),
    (
        "residencia-unknown",
        generic("XEXX010101000", "ACME INC", residencia_fiscal="QQQ"),
        "CFDI40150",
        "receptor.residencia_fiscal",
    ),
    (
        "residencia-mex",
        generic("XEXX010101000", "ACME INC", residencia_fiscal="MEX"),
        "CFDI40152",
        "receptor.residencia_fiscal",
    ),
    (
        "num-reg-without-residencia",
        generic("XEXX010101000", "ACME INC", num_reg_id_trib="123456789"),
        "CFDI40153",
        "receptor.residencia_fiscal",
    ),
    ("num-reg-not-xexx", receptor(num_reg_id_trib="123456789"), "CFDI40154", "receptor.num_reg_id_trib"),
    (
        "num-reg-without-comercio-exterior",
        generic("XEXX010101000", "ACME INC", residencia_fiscal="USA", num_reg_id_trib="123456789"),
        "CFDI40155",
        "receptor.num_reg_id_trib",
    ),
    # CfdiRelacionados
    (
        "egreso-without-relacion",
        drafts.draft(tipo_de_comprobante="E"),
        "egreso_sin_cfdi_relacionado",
        "cfdi_relacionados",
    ),
    (
        "tipo-relacion-unknown",
        drafts.draft(cfdi_relacionados=(CfdiRelacionados("99", (UUID,)),)),
        "CFDI40137",
        "cfdi_relacionados[0].tipo_relacion",
    ),
    (
        "uuid-malformed",
        drafts.draft(cfdi_relacionados=(CfdiRelacionados("04", ("no-es-uuid",)),)),
        "uuid_relacionado_invalido",
        "cfdi_relacionados[0].uuids",
    ),
    # Conceptos
    (
        "clave-prod-serv-global",
        line(clave_prod_serv="01010101"),
        "clave_prod_serv_global",
        "conceptos[0].clave_prod_serv",
    ),
    ("clave-prod-serv-format", line(clave_prod_serv="811121"), "CFDI40162", "conceptos[0].clave_prod_serv"),
    ("clave-unidad-unknown", line(clave_unidad="ZZ9"), "CFDI40165", "conceptos[0].clave_unidad"),
    ("descripcion-empty", line(descripcion=" "), "descripcion_required", "conceptos[0].descripcion"),
    ("cantidad-zero", line(cantidad=Decimal(0)), "cantidad_not_positive", "conceptos[0].cantidad"),
    ("valor-unitario-zero", line(valor_unitario=Decimal(0)), "CFDI40166", "conceptos[0].valor_unitario"),
    ("descuento-negative", line(descuento=Decimal(-1)), "descuento_negativo", "conceptos[0].descuento"),
    ("descuento-above-importe", line(descuento=Decimal("1000.01")), "CFDI40169", "conceptos[0].descuento"),
    ("objeto-imp-unknown", line(objeto_imp="09"), "CFDI40170", "conceptos[0].objeto_imp"),
    ("objeto-02-without-taxes", line(impuestos=()), "CFDI40171", "conceptos[0].objeto_imp"),
    ("objeto-01-with-taxes", line(objeto_imp="01"), "CFDI40172", "conceptos[0].objeto_imp"),
    ("objeto-03-with-taxes", line(objeto_imp="03"), "CFDI40172", "conceptos[0].objeto_imp"),
    ("objeto-06-with-iva", line(objeto_imp="06"), "objeto_imp_incompatible", "conceptos[0].objeto_imp"),
    # Impuestos: traslados
    ("traslado-base-zero", line(descuento=Decimal("1000.00")), "CFDI40174", "conceptos[0].impuestos[0]"),
    (
        "traslado-isr",
        line(TaxRate(ISR, "Tasa", Decimal("0.100000"))),
        "CFDI40175",
        "conceptos[0].impuestos[0].impuesto",
    ),
    (
        "traslado-tipo-factor-unknown",
        line(TaxRate(IVA, "Porcentaje", Decimal("0.160000"))),
        "CFDI40176",
        "conceptos[0].impuestos[0].tipo_factor",
    ),
    (
        "traslado-exento-with-rate",
        line(TaxRate(IVA, "Exento", Decimal("0.000000"))),
        "CFDI40177",
        "conceptos[0].impuestos[0].tasa_o_cuota",
    ),
    (
        "traslado-tasa-without-rate",
        line(TaxRate(IVA, "Tasa", None)),
        "CFDI40178",
        "conceptos[0].impuestos[0].tasa_o_cuota",
    ),
    (
        "traslado-iva-15",
        line(TaxRate(IVA, "Tasa", Decimal("0.150000"))),
        "CFDI40179",
        "conceptos[0].impuestos[0].tasa_o_cuota",
    ),
    # Impuestos: retenciones
    (
        "retencion-base-zero",
        line(drafts.RET_ISR_10, descuento=Decimal("1000.00")),
        "CFDI40181",
        "conceptos[0].impuestos[0]",
    ),
    (
        "retencion-impuesto-unknown",
        line(TaxRate("004", "Tasa", Decimal("0.100000"), retencion=True)),
        "CFDI40182",
        "conceptos[0].impuestos[0].impuesto",
    ),
    (
        "retencion-tipo-factor-unknown",
        line(TaxRate(ISR, "Porcentaje", Decimal("0.1"), retencion=True)),
        "CFDI40183",
        "conceptos[0].impuestos[0].tipo_factor",
    ),
    (
        "retencion-exenta",
        line(TaxRate(IVA, "Exento", None, retencion=True)),
        "CFDI40184",
        "conceptos[0].impuestos[0].tipo_factor",
    ),
    (
        "retencion-isr-40",
        line(TaxRate(ISR, "Tasa", Decimal("0.400000"), retencion=True)),
        "CFDI40185",
        "conceptos[0].impuestos[0].tasa_o_cuota",
    ),
]


@pytest.mark.parametrize(("draft", "code", "field"), [pytest.param(*case[1:], id=case[0]) for case in RULES])
def test_each_rule_yields_its_code_on_its_field(draft: InvoiceDraft, code: str, field: str) -> None:
    problems = check_draft(draft, stamp_at=STAMP_AT, tz=MX)
    assert (code, field) in [(p.code, p.field) for p in problems]
    assert all(p.message for p in problems)


def test_problems_point_at_the_concepto_they_belong_to() -> None:
    good = drafts.concepto("100.00", drafts.IVA16)
    bad = replace(good, clave_unidad="ZZ9")
    assert check(drafts.draft(good, bad)) == [("CFDI40165", "conceptos[1].clave_unidad")]


def global_draft(info: InformacionGlobal, *taxes: TaxRate, regimen: str = "601") -> InvoiceDraft:
    venta = replace(drafts.concepto("100.00", *(taxes or (drafts.IVA16,))), clave_prod_serv="01010101",
                    clave_unidad="ACT", unidad=None, descripcion="Venta", no_identificacion="R-1")
    return replace(
        generic("XAXX010101000", "PUBLICO EN GENERAL"),
        conceptos=(venta,),
        informacion_global=info,
        emisor=replace(drafts.EMISOR, regimen_fiscal=regimen),
    )


def test_a_global_invoice_with_its_informacion_global_has_no_problems() -> None:
    assert check(global_draft(InformacionGlobal("04", "11", 2026))) == []


def test_a_global_invoice_of_december_issued_in_january_is_accepted() -> None:
    draft = replace(global_draft(InformacionGlobal("01", "12", 2025)), fecha=datetime(2026, 1, 1, 0, 30))
    assert ("CFDI40136", "informacion_global.año") not in check(draft)


@pytest.mark.parametrize(
    ("info", "regimen", "code", "field"),
    [
        (InformacionGlobal("09", "11", 2026), "601", "CFDI40131", "informacion_global.periodicidad"),
        (InformacionGlobal("05", "17", 2026), "601", "CFDI40132", "informacion_global.periodicidad"),
        (InformacionGlobal("04", "19", 2026), "601", "CFDI40133", "informacion_global.meses"),
        (InformacionGlobal("04", "17", 2026), "601", "CFDI40134", "informacion_global.meses"),
        (InformacionGlobal("05", "11", 2026), "621", "CFDI40135", "informacion_global.meses"),
        (InformacionGlobal("04", "11", 2024), "601", "CFDI40136", "informacion_global.año"),
    ],
    ids=["periodicidad", "bimestral-not-rif", "meses-catalog", "meses-month", "meses-bimester", "año"],
)
def test_informacion_global_rules_yield_their_codes(
    info: InformacionGlobal, regimen: str, code: str, field: str
) -> None:
    assert (code, field) in check(global_draft(info, regimen=regimen))


def test_a_global_invoice_cannot_carry_retentions() -> None:
    draft = global_draft(InformacionGlobal("04", "11", 2026), drafts.IVA16, drafts.RET_ISR_10)
    assert ("global_con_retenciones", "conceptos[0].impuestos") in check(draft)


def test_informacion_global_only_goes_with_publico_en_general() -> None:
    draft = replace(global_draft(InformacionGlobal("04", "11", 2026)), receptor=generic(
        "XAXX010101000", "JUAN PEREZ LOPEZ").receptor)
    assert ("informacion_global_sin_publico_en_general", "informacion_global") in check(draft)
