"""What the sandbox PAC refuses, with the codes a real PAC or the SAT would answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from timbra.cfdi.pac import PacRejected
from timbra.cfdi.sandbox_checks import Taxpayer, zone_for_codigo_postal
from timbra.cfdi.sandbox_pac import SandboxPac
from timbra.sandbox.ledger import InMemoryLedger

from .cfdi_factory import MEXICO_CITY, NOW, CfdiSpec, signed_cfdi


def rejection(pac: SandboxPac, signed_xml: bytes) -> PacRejected:
    with pytest.raises(PacRejected) as caught:
        pac.stamp(signed_xml)
    return caught.value


def test_a_tampered_cfdi_is_rejected_because_the_sello_no_longer_verifies(pac: SandboxPac) -> None:
    tampered = signed_cfdi().replace(b'Folio="1"', b'Folio="2"')
    error = rejection(pac, tampered)
    assert error.code == "CFDI40102"
    assert "digestión" in error.message


def test_a_cfdi_that_breaks_the_sat_schema_is_rejected_with_301(pac: SandboxPac) -> None:
    # UsoCFDI outside c_UsoCFDI: satcfdi seals it happily, the XSD's catalog enumeration does not
    error = rejection(pac, signed_cfdi(CfdiSpec(uso_cfdi="G99")))
    assert error.code == "301"
    assert "UsoCFDI" in error.message


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"esto no es XML",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/3" Version="3.3"/>',
    ],
    ids=["empty", "not-xml", "doctype-xxe", "cfdi-3.3"],
)
def test_anything_but_a_plain_comprobante_4_is_rejected_with_301(pac: SandboxPac, document: bytes) -> None:
    error = rejection(pac, document)
    assert error.code == "301"
    assert "passwd" not in error.message and "root:" not in error.message


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"receptor_rfc": "AAA010101AAA"}, "CFDI40143"),
        ({"receptor_nombre": "UNIVERSIDAD ROBOTICA ESPANOLA SA DE CV"}, "CFDI40145"),
        ({"receptor_cp": "86990"}, "CFDI40147"),
        ({"receptor_regimen": "603"}, "CFDI40158"),
    ],
    ids=["unknown-rfc", "nombre", "codigo-postal", "regimen"],
)
def test_receptor_data_that_does_not_match_the_sat_registry_is_rejected(
    pac: SandboxPac, change: dict[str, str], code: str
) -> None:
    error = rejection(pac, signed_cfdi(CfdiSpec().but(**change)))
    assert error.code == code
    assert "receptor" in error.message or "Receptor" in error.message


def test_receptor_name_with_collapsed_whitespace_still_matches(pac: SandboxPac) -> None:
    # Nombre is xs:whiteSpace="collapse" in cfdv40.xsd: extra inner spaces mean the same name
    assert pac.stamp(signed_cfdi(CfdiSpec(receptor_nombre="UNIVERSIDAD  ROBOTICA ESPAÑOLA"))).uuid


PUBLICO_EN_GENERAL = CfdiSpec(
    receptor_rfc="XAXX010101000",
    receptor_nombre="PUBLICO EN GENERAL",
    receptor_cp="42501",  # = LugarExpedicion
    receptor_regimen="616",
    uso_cfdi="S01",
    informacion_global=("04", "11", 2026),
)


def test_generic_rfc_is_stamped_without_a_registry_entry(pac: SandboxPac) -> None:
    assert pac.stamp(signed_cfdi(PUBLICO_EN_GENERAL)).uuid


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"receptor_cp": "86991"}, "CFDI40149"),
        ({"receptor_regimen": "601"}, "CFDI40159"),
        ({"uso_cfdi": "G03"}, "CFDI40161"),
    ],
    ids=["cp-not-lugar-expedicion", "regimen-not-616", "uso-not-s01"],
)
def test_generic_rfc_follows_the_sat_rules_for_publico_en_general(
    pac: SandboxPac, change: dict[str, str], code: str
) -> None:
    assert rejection(pac, signed_cfdi(PUBLICO_EN_GENERAL.but(**change))).code == code


def test_a_nominative_xaxx_invoice_needs_no_informacion_global(pac: SandboxPac) -> None:
    spec = PUBLICO_EN_GENERAL.but(receptor_nombre="JUAN PEREZ LOPEZ", informacion_global=None)
    assert pac.stamp(signed_cfdi(spec)).uuid


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"informacion_global": None}, "CFDI40130"),
        ({"informacion_global": ("05", "17", 2026)}, "CFDI40132"),
        ({"informacion_global": ("04", "17", 2026)}, "CFDI40134"),
        ({"informacion_global": ("04", "11", 2024)}, "CFDI40136"),
        ({"informacion_global": ("04", "11", 2027)}, "CFDI40136"),
    ],
    ids=["missing", "bimestral-not-rif", "meses-not-month", "year-too-old", "year-future"],
)
def test_a_global_invoice_follows_the_informacion_global_rules(
    pac: SandboxPac, change: dict[str, object], code: str
) -> None:
    assert rejection(pac, signed_cfdi(PUBLICO_EN_GENERAL.but(**change))).code == code


def test_a_global_invoice_of_last_year_is_stamped_in_january(pac: SandboxPac) -> None:
    spec = PUBLICO_EN_GENERAL.but(informacion_global=("04", "12", 2025))
    assert pac.stamp(signed_cfdi(spec)).uuid


def test_emisor_name_that_does_not_match_the_registry_is_rejected(pac: SandboxPac) -> None:
    error = rejection(pac, signed_cfdi(CfdiSpec(emisor_nombre="ESCUELA KEMPER URGATE SA DE CV")))
    assert error.code == "CFDI40139"


def test_emisor_regimen_that_does_not_match_the_registry_is_rejected(pac: SandboxPac) -> None:
    assert rejection(pac, signed_cfdi(CfdiSpec(emisor_regimen="603"))).code == "CFDI40141"


def test_emisor_outside_the_registry_is_rejected_unless_registered_as_extra(
    make_pac: Callable[..., SandboxPac], taxpayers: dict[str, Taxpayer]
) -> None:
    without_eku = {rfc: t for rfc, t in taxpayers.items() if rfc != "EKU9003173C9"}
    assert rejection(make_pac(taxpayers=without_eku), signed_cfdi()).code == "402"

    eku = taxpayers["EKU9003173C9"]
    assert make_pac(taxpayers=without_eku, extra_emisores=[eku]).stamp(signed_cfdi()).uuid


def test_extra_emisores_are_not_accepted_as_receptores(
    make_pac: Callable[..., SandboxPac], taxpayers: dict[str, Taxpayer]
) -> None:
    extra = Taxpayer("MIN010101AB1", "EMPRESA MINTED", "601", "06000")
    spec = CfdiSpec(receptor_rfc=extra.rfc, receptor_nombre=extra.nombre, receptor_cp="06000")
    assert rejection(make_pac(extra_emisores=[extra]), signed_cfdi(spec)).code == "CFDI40143"


def test_certificate_of_another_rfc_is_rejected_with_303(pac: SandboxPac) -> None:
    # the EKU certificate sealing a CFDI whose Emisor is another registered taxpayer
    spec = CfdiSpec(emisor_rfc="URE180429TM6", emisor_nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA")
    assert rejection(pac, signed_cfdi(spec)).code == "303"


def test_fecha_73_hours_before_stamping_is_rejected_with_401(pac: SandboxPac, clock) -> None:
    clock.now = NOW
    old = (NOW - timedelta(hours=73)).replace(tzinfo=None)
    error = rejection(pac, signed_cfdi(CfdiSpec(fecha=old)))
    assert (error.code, "72 horas" in error.message) == ("401", True)


def test_fecha_71_hours_before_stamping_is_accepted(pac: SandboxPac) -> None:
    recent = (NOW - timedelta(hours=71)).replace(tzinfo=None)
    assert pac.stamp(signed_cfdi(CfdiSpec(fecha=recent))).uuid


def test_fecha_in_the_future_is_rejected_with_401(pac: SandboxPac) -> None:
    future = (NOW + timedelta(minutes=1)).replace(tzinfo=None)
    error = rejection(pac, signed_cfdi(CfdiSpec(fecha=future)))
    assert (error.code, "futuro" in error.message) == ("401", True)


def test_fecha_is_local_time_at_lugar_expedicion(pac: SandboxPac, clock) -> None:
    # 09:30 in Tijuana is 11:30 in Mexico City: at 10:00 Mexico City that Fecha is still in the future
    clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY)
    tijuana = CfdiSpec(lugar_expedicion="22000", fecha=datetime(2026, 11, 20, 9, 30))
    assert rejection(pac, signed_cfdi(tijuana)).code == "401"
    clock.now = datetime(2026, 11, 20, 11, 31, tzinfo=MEXICO_CITY)
    assert pac.stamp(signed_cfdi(tijuana)).uuid


@pytest.mark.parametrize(
    ("codigo_postal", "zone"),
    [
        ("42501", "America/Mexico_City"),
        ("22000", "America/Tijuana"),
        ("77500", "America/Cancun"),
        ("83000", "America/Hermosillo"),
        ("32000", "America/Ciudad_Juarez"),
        ("87300", "America/Matamoros"),
        ("99999", "America/Mexico_City"),
    ],
)
def test_zone_comes_from_the_codigo_postal_catalog(codigo_postal: str, zone: str) -> None:
    assert zone_for_codigo_postal(codigo_postal).key == zone


def test_expired_csd_is_rejected_with_305(pac: SandboxPac, clock) -> None:
    # the SAT test CSD expires 2027-05-18; a Fecha the day after is outside its validity
    clock.now = datetime(2027, 5, 19, 10, 0, tzinfo=MEXICO_CITY)
    error = rejection(pac, signed_cfdi(CfdiSpec(fecha=datetime(2027, 5, 19, 9, 59))))
    assert error.code == "305"


def test_a_cfdi_that_already_carries_a_timbre_is_rejected_with_307(
    pac: SandboxPac, sandbox_home: Path, taxpayers: dict[str, Taxpayer], clock
) -> None:
    # stamped elsewhere, then sent as if it were a new CFDI to a PAC that never saw these bytes
    stamped = pac.stamp(signed_cfdi()).stamped_xml
    other = SandboxPac.for_home(sandbox_home, InMemoryLedger(), taxpayers, clock)
    assert rejection(other, stamped).code == "307"


def test_a_rejected_cfdi_leaves_nothing_in_the_ledger(pac: SandboxPac, ledger: InMemoryLedger) -> None:
    rejection(pac, signed_cfdi(CfdiSpec(receptor_cp="00000")))
    assert len(ledger) == 0
    assert pac.recover(signed_cfdi(CfdiSpec(receptor_cp="00000"))) is None
