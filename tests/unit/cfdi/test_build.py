from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from satcfdi.models import Signer

from tests.unit.cfdi.conftest import CheckCfdi
from tests.unit.domain.drafts import (
    IVA0,
    IVA16,
    IVA_EXENTO,
    RET_ISR_RESICO,
    RET_IVA_2_3,
    concepto,
    draft,
)
from timbra.cfdi import build
from timbra.cfdi.build import CfdiTotalsMismatch, build_comprobante, seal
from timbra.domain.draft import CfdiRelacionados, Receptor

NS = {"cfdi": "http://www.sat.gob.mx/cfd/4"}
D = Decimal
UUID_1 = "5FB2822E-396D-4725-8521-CDC4BDD20CCF"
UUID_2 = "0a2b7c1e-0d3b-4c4e-9f3a-1b2c3d4e5f60"


def test_ingreso_pue_is_xsd_valid_and_sealed_with_the_csd(signer: Signer, check_cfdi: CheckCfdi) -> None:
    # given a plain Ingreso PUE paid by transfer
    sealed = seal(draft(), signer)
    # when it is checked with SAT's official XSD, XSLT and the .cer
    root = check_cfdi(sealed.xml)
    # then it says what the draft says
    assert root.get("Fecha") == "2026-11-20T10:00:00"
    assert (root.get("TipoDeComprobante"), root.get("MetodoPago"), root.get("FormaPago")) == (
        "I",
        "PUE",
        "03",
    )
    assert (root.get("SubTotal"), root.get("Total")) == ("1000.00", "1160.00")
    assert root.get("Sello") == sealed.sello
    assert sealed.no_certificado == "30001000000500003416"
    assert sealed.total == D("1160.00") and sealed.sub_total == D("1000.00")


def test_the_sealed_cadena_original_is_the_official_one(
    signer: Signer, official_cadena: Callable[[bytes], str]
) -> None:
    sealed = seal(draft(), signer)
    assert sealed.cadena_original == official_cadena(sealed.xml)
    assert sealed.cadena_original.startswith("||4.0|A|1001|2026-11-20T10:00:00|03|30001000000500003416|")


def test_ppd_with_forma_de_pago_por_definir(signer: Signer, check_cfdi: CheckCfdi) -> None:
    invoice = draft(forma_pago="99", metodo_pago="PPD", condiciones_de_pago="Crédito 30 días")
    root = check_cfdi(seal(invoice, signer).xml)
    assert (root.get("FormaPago"), root.get("MetodoPago")) == ("99", "PPD")
    assert root.get("CondicionesDePago") == "Crédito 30 días"


def test_egreso_relates_the_invoices_it_credits(signer: Signer, check_cfdi: CheckCfdi) -> None:
    # given a nota de crédito for two earlier invoices
    nota = draft(
        concepto("200.00", IVA16, descripcion="Devolución parcial"),
        tipo_de_comprobante="E",
        receptor=dataclasses.replace(draft().receptor, uso_cfdi="G02"),
        cfdi_relacionados=(CfdiRelacionados("01", (UUID_1, UUID_2)),),
    )
    root = check_cfdi(seal(nota, signer).xml)
    assert root.get("TipoDeComprobante") == "E"
    relacionados = root.find("cfdi:CfdiRelacionados", NS)
    assert relacionados is not None and relacionados.get("TipoRelacion") == "01"
    assert [r.get("UUID") for r in relacionados] == [UUID_1, UUID_2]
    assert root.get("Total") == "232.00"


def test_several_relation_groups_are_kept_apart(signer: Signer, check_cfdi: CheckCfdi) -> None:
    invoice = draft(cfdi_relacionados=(CfdiRelacionados("04", (UUID_1,)), CfdiRelacionados("07", (UUID_2,))))
    root = check_cfdi(seal(invoice, signer).xml)
    assert [g.get("TipoRelacion") for g in root.findall("cfdi:CfdiRelacionados", NS)] == ["04", "07"]


def test_foreign_currency_states_the_exchange_rate(signer: Signer, check_cfdi: CheckCfdi) -> None:
    invoice = draft(concepto("49.99", IVA16, cantidad="2"), moneda="USD", tipo_cambio=D("17.2500"))
    root = check_cfdi(seal(invoice, signer).xml)
    assert (root.get("Moneda"), root.get("TipoCambio"), root.get("Total")) == ("USD", "17.2500", "115.98")


def test_yen_invoice_has_whole_amounts(signer: Signer, check_cfdi: CheckCfdi) -> None:
    invoice = draft(concepto("1234.5", IVA16), moneda="JPY", tipo_cambio=D("0.118"))
    root = check_cfdi(seal(invoice, signer).xml)
    assert (root.get("SubTotal"), root.get("Total")) == ("1235", "1433")  # half up (issue 10)


def test_export_of_services_to_a_foreign_receptor(signer: Signer, check_cfdi: CheckCfdi) -> None:
    extranjero = Receptor(
        rfc="XEXX010101000",
        nombre="ACME CORPORATION",
        domicilio_fiscal_receptor="42501",  # the lugar de expedición for foreign receptors
        regimen_fiscal_receptor="616",
        uso_cfdi="S01",
        residencia_fiscal="USA",
        num_reg_id_trib="123456789",
    )
    invoice = draft(
        concepto("500.00", IVA0), receptor=extranjero, exportacion="04", moneda="USD", tipo_cambio=D("17")
    )
    root = check_cfdi(seal(invoice, signer).xml)
    receptor = root.find("cfdi:Receptor", NS)
    assert receptor is not None
    assert (receptor.get("ResidenciaFiscal"), receptor.get("NumRegIdTrib")) == ("USA", "123456789")
    assert root.get("Exportacion") == "04"


def test_descuento_exento_and_retentions_in_one_invoice(signer: Signer, check_cfdi: CheckCfdi) -> None:
    invoice = draft(
        concepto("10000.00", IVA16, RET_ISR_RESICO, RET_IVA_2_3, descuento="500"),
        concepto("99.90", IVA_EXENTO, descripcion="Libro"),
    )
    root = check_cfdi(seal(invoice, signer).xml)
    impuestos = root.find("cfdi:Impuestos", NS)
    assert impuestos is not None
    assert impuestos.get("TotalImpuestosTrasladados") == "1520.00"
    assert impuestos.get("TotalImpuestosRetenidos") == "1132.09"  # 118.75 + 1013.34
    exento = impuestos.find("cfdi:Traslados/cfdi:Traslado[@TipoFactor='Exento']", NS)
    assert exento is not None and exento.get("Base") == "99.90" and exento.get("Importe") is None
    assert (root.get("Descuento"), root.get("Total")) == ("500.00", "9987.81")


def test_a_line_not_subject_to_tax_has_no_impuestos_node(signer: Signer, check_cfdi: CheckCfdi) -> None:
    root = check_cfdi(seal(draft(concepto("300.00")), signer).xml)
    linea = root.find("cfdi:Conceptos/cfdi:Concepto", NS)
    assert linea is not None and linea.get("ObjetoImp") == "01"
    assert linea.find("cfdi:Impuestos", NS) is None and root.find("cfdi:Impuestos", NS) is None


def test_every_build_gets_fresh_nodes(signer: Signer) -> None:
    # given one draft built twice; satcfdi mutates the nodes it is given
    invoice = draft()
    first = build_comprobante(invoice, signer)
    first["Receptor"]["UsoCFDI"] = "S01"
    first["Conceptos"][0]["Descripcion"] = "cambiada"
    # when built again
    second = build_comprobante(invoice, signer)
    # then nothing leaked from the first
    assert second["Receptor"] is not first["Receptor"]
    assert second["Receptor"]["UsoCFDI"] == "G03"
    assert second["Conceptos"][0]["Descripcion"] == "Suscripción mensual plataforma SaaS"


def test_build_comprobante_and_seal_produce_the_same_signed_bytes(
    signer: Signer, check_cfdi: CheckCfdi
) -> None:
    invoice = draft(concepto("10000.00", IVA16, RET_ISR_RESICO, RET_IVA_2_3))
    signed = build_comprobante(invoice, signer)
    assert signed.xml_bytes() == seal(invoice, signer).xml
    check_cfdi(signed.xml_bytes())


def test_sealing_is_deterministic(signer: Signer) -> None:
    assert seal(draft(), signer).xml == seal(draft(), signer).xml


def test_fecha_is_written_to_the_second(signer: Signer) -> None:
    sealed = seal(draft(fecha=datetime(2026, 11, 20, 10, 0, 5, 999999)), signer)
    assert etree.fromstring(sealed.xml).get("Fecha") == "2026-11-20T10:00:05"


def test_fecha_with_a_time_zone_is_refused(signer: Signer) -> None:
    aware = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("America/Mexico_City"))
    with pytest.raises(ValueError, match="hora local"):
        seal(draft(fecha=aware), signer)


def test_a_disagreement_between_satcfdi_and_domain_taxes_fails_loudly(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given domain.taxes returning a Total one cent off what satcfdi sums
    real = build.compute_totals

    def off_by_a_cent(invoice):  # type: ignore[no-untyped-def]
        totals = real(invoice)
        return dataclasses.replace(totals, total=totals.total + D("0.01"))

    monkeypatch.setattr(build, "compute_totals", off_by_a_cent)
    with pytest.raises(CfdiTotalsMismatch, match="Total"):
        seal(draft(), signer)
