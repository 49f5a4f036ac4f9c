"""The REP (CFDI type P with Pagos 2.0) as signed XML, checked only with SAT's official files.

Validity is the official cfdv40.xsd + Pagos20.xsd (+ TFD 1.1 once stamped), imported by one wrapper
schema so the pago20 complement inside cfdi:Complemento is validated too; the Sello is verified
against the cadena original of SAT's official cadenaoriginal_4_0.xslt, which includes Pagos20.xslt.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from satcfdi.models import Signer

from tests.unit.cfdi.conftest import SAT_DIR, SITIO_INTERNET
from tests.unit.domain.drafts import (
    EMISOR,
    IVA0,
    IVA16,
    IVA_EXENTO,
    RECEPTOR,
    RET_ISR_RESICO,
    RET_IVA_2_3,
    concepto,
)
from tests.unit.domain.test_payments import NS, UUID_A, UUID_B, invoice, line, pay, vector_payments
from timbra.cfdi import build_pago as build_pago_module
from timbra.cfdi.build import CfdiTotalsMismatch
from timbra.cfdi.build_pago import SealedPago, build_pago
from timbra.cfdi.sandbox_checks import load_test_taxpayers
from timbra.cfdi.sandbox_pac import SandboxPac, sandbox_certificate_pem
from timbra.domain.payments import PaidDocument, Payment, PaymentError
from timbra.sandbox.ledger import InMemoryLedger

D = Decimal
MEXICO_CITY = ZoneInfo("America/Mexico_City")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY)  # inside the test CSD's validity
FECHA = datetime(2026, 11, 20, 9, 59, 0)  # naive: local time at LugarExpedicion 42501
CFD = SITIO_INTERNET / "cfd"
CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGO20 = "{http://www.sat.gob.mx/Pagos20}"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@cache
def official_schema() -> etree.XMLSchema:
    imports = {
        "http://www.sat.gob.mx/cfd/4": CFD / "4" / "cfdv40.xsd",
        "http://www.sat.gob.mx/Pagos20": CFD / "Pagos" / "Pagos20.xsd",
        "http://www.sat.gob.mx/TimbreFiscalDigital": CFD
        / "TimbreFiscalDigital"
        / "TimbreFiscalDigitalv11.xsd",
    }
    wrapper = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">'
    wrapper += "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{p.as_uri()}"/>' for ns, p in imports.items()
    )
    return etree.XMLSchema(etree.fromstring((wrapper + "</xs:schema>").encode(), base_url=str(CFD) + "/"))


def check_rep(xml: bytes, official_cadena: Callable[[bytes], str]) -> etree._Element:
    """XSD-valid (CFDI 4.0 + Pagos 2.0) and sealed by the SAT test CSD over the official cadena."""
    root = etree.fromstring(xml)
    schema = official_schema()
    assert schema.validate(root), [str(e) for e in schema.error_log]
    assert root.find(f"{CFDI}Complemento/{PAGO20}Pagos") is not None
    der = base64.b64decode(root.get("Certificado"))
    assert der == (SAT_DIR / "certs" / "EKU9003173C9.cer").read_bytes()  # the CSD itself, not any certificate
    certificate = x509.load_der_x509_certificate(der)
    certificate.public_key().verify(  # type: ignore[union-attr,call-arg]
        base64.b64decode(root.get("Sello")),
        official_cadena(xml).encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    return root


def rep(payments: Payment | list[Payment], signer: Signer, folio: str = "1") -> SealedPago:
    return build_pago(payments, EMISOR, RECEPTOR, "42501", "P", folio, FECHA, signer)


def docs(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{PAGO20}DoctoRelacionado")


def totales(root: etree._Element) -> dict[str, str]:
    return dict(root.find(f".//{PAGO20}Totales").attrib)


DEMO = (concepto("999.00", IVA16), concepto("133.33", IVA16, cantidad="3"))  # 1,622.83 (cfdi.md demo 2)


def test_partial_payment_rep_is_valid_sealed_and_follows_the_type_p_rules(
    signer: Signer, official_cadena: Callable[[bytes], str]
) -> None:
    # given the demo's 1,622.83 PPD invoice and a first payment of 1,000.00
    doc = invoice(*DEMO)
    # when the REP is built and sealed
    sealed = rep(pay(line(doc, "1000.00"), monto="1000.00"), signer)
    # then it passes SAT's XSDs and its Sello verifies over SAT's cadena original
    root = check_rep(sealed.xml, official_cadena)
    assert sealed.cadena_original == official_cadena(sealed.xml)
    assert root.get("Sello") == sealed.sello and sealed.no_certificado == "30001000000500003416"
    # and it is a type P comprobante: XXX, zero totals, no FormaPago/MetodoPago, one "Pago" concepto
    attrs = root.attrib
    assert (attrs["TipoDeComprobante"], attrs["Moneda"], attrs["SubTotal"], attrs["Total"]) == (
        "P",
        "XXX",
        "0",
        "0",
    )
    assert (attrs["Exportacion"], attrs["Fecha"], attrs["LugarExpedicion"]) == (
        "01",
        "2026-11-20T09:59:00",
        "42501",
    )
    assert "FormaPago" not in attrs and "MetodoPago" not in attrs
    (concepto_,) = root.findall(f"{CFDI}Conceptos/{CFDI}Concepto")
    assert dict(concepto_.attrib) == {
        "ClaveProdServ": "84111506",
        "Cantidad": "1",
        "ClaveUnidad": "ACT",
        "Descripcion": "Pago",
        "ValorUnitario": "0",
        "Importe": "0",
        "ObjetoImp": "01",
    }
    assert root.find(f"{CFDI}Receptor").get("UsoCFDI") == "CP01"  # the receptor's G03 is not used
    # and the complement states the domain's amounts
    assert root.find(f".//{PAGO20}Pagos").get("Version") == "2.0"
    (dr,) = docs(root)
    assert {k: dr.get(k) for k in ("IdDocumento", "MonedaDR", "EquivalenciaDR", "NumParcialidad")} == {
        "IdDocumento": UUID_A,
        "MonedaDR": "MXN",
        "EquivalenciaDR": "1",
        "NumParcialidad": "1",
    }
    assert (dr.get("ImpSaldoAnt"), dr.get("ImpPagado"), dr.get("ImpSaldoInsoluto")) == (
        "1622.83",
        "1000.00",
        "622.83",
    )
    traslado = dr.find(f".//{PAGO20}TrasladoDR")
    assert (traslado.get("BaseDR"), traslado.get("ImporteDR")) == ("862.068116", "137.930899")
    assert totales(root) == {
        "TotalTrasladosBaseIVA16": "862.07",
        "TotalTrasladosImpuestoIVA16": "137.93",
        "MontoTotalPagos": "1000.00",
    }
    pago = root.find(f".//{PAGO20}Pago")
    assert (pago.get("FechaPago"), pago.get("MonedaP"), pago.get("TipoCambioP"), pago.get("Monto")) == (
        "2026-11-19T12:00:00",
        "MXN",
        "1",
        "1000.00",
    )


def test_no_pagos_1_0_leftover_reaches_the_xml(signer: Signer) -> None:
    # gotcha 7: satcfdi's pago_comprobantes copies MetodoDePagoDR (a Pagos 1.0 attribute)
    sealed = rep(pay(line(invoice(*DEMO), "1000.00"), monto="1000.00"), signer)
    assert b"MetodoDePagoDR" not in sealed.xml and "MetodoDePagoDR" not in sealed.cadena_original


def test_sandbox_pac_stamps_the_rep(
    signer: Signer, official_cadena: Callable[[bytes], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # given a sealed REP and the sandbox PAC (SAT test taxpayers, frozen clock)
    sealed = rep(pay(line(invoice(*DEMO), "1000.00"), monto="1000.00"), signer)
    home = tmp_path_factory.mktemp("timbra-home")
    taxpayers = load_test_taxpayers(SAT_DIR / "test-taxpayers.csv")
    pac = SandboxPac.for_home(home, InMemoryLedger(), taxpayers, clock=lambda: NOW)
    # when it is stamped
    result = pac.stamp(sealed.xml)
    # then the stamped REP still validates (now with its TFD 1.1) and the timbre seals our Sello
    root = check_rep(result.stamped_xml, official_cadena)
    tfd = root.find(f"{CFDI}Complemento/{{http://www.sat.gob.mx/TimbreFiscalDigital}}TimbreFiscalDigital")
    assert tfd.get("UUID") == result.uuid and tfd.get("SelloCFD") == sealed.sello
    cadena_tfd = f"||1.1|{result.uuid}|2026-11-20T10:00:00|SAT970701NN3|{tfd.get('Leyenda')}|{sealed.sello}|"
    cadena_tfd += f"{tfd.get('NoCertificadoSAT')}||"
    pac_certificate = x509.load_pem_x509_certificate(sandbox_certificate_pem(home))
    pac_certificate.public_key().verify(  # type: ignore[union-attr,call-arg]
        base64.b64decode(tfd.get("SelloSAT")), cadena_tfd.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_three_parcialidades_leave_the_balance_at_zero(
    signer: Signer, official_cadena: Callable[[bytes], str]
) -> None:
    # given the 1,622.83 invoice paid in three REPs
    doc = invoice(*DEMO)
    saldo, seen = doc.total, []
    for number, amount in enumerate(("500.00", "500.00", "622.83"), start=1):
        paid = PaidDocument(**{**doc.__dict__, "imp_saldo_ant": saldo, "num_parcialidad": number})
        root = check_rep(
            rep(pay(line(paid, amount), monto=amount), signer, folio=str(number)).xml, official_cadena
        )
        (dr,) = docs(root)
        seen.append(
            (dr.get("NumParcialidad"), dr.get("ImpSaldoAnt"), dr.get("ImpPagado"), dr.get("ImpSaldoInsoluto"))
        )
        saldo = D(dr.get("ImpSaldoInsoluto"))
    # then each REP starts where the last one ended and the last leaves 0.00, never below
    assert seen == [
        ("1", "1622.83", "500.00", "1122.83"),
        ("2", "1122.83", "500.00", "622.83"),
        ("3", "622.83", "622.83", "0.00"),
    ]
    # and a payment above what is left is refused before any XML exists
    overpaid = PaidDocument(**{**doc.__dict__, "imp_saldo_ant": D("622.83"), "num_parcialidad": 3})
    with pytest.raises(PaymentError):
        rep(pay(line(overpaid, "622.84"), monto="622.84"), signer)


def test_one_payment_for_two_invoices(signer: Signer, official_cadena: Callable[[bytes], str]) -> None:
    first = invoice(concepto("1000.00", IVA16), uuid=UUID_A)
    second = invoice(concepto("250.00", IVA16), concepto("100.00", RET_ISR_RESICO), uuid=UUID_B)
    root = check_rep(
        rep(pay(line(first, "1160.00"), line(second, "388.75"), monto="1548.75"), signer).xml, official_cadena
    )
    assert [d.get("IdDocumento") for d in docs(root)] == [UUID_A, UUID_B]
    assert [d.get("ImpSaldoInsoluto") for d in docs(root)] == ["0.00", "0.00"]
    traslado_p = root.find(f".//{PAGO20}TrasladoP")
    assert (traslado_p.get("BaseP"), traslado_p.get("ImporteP")) == ("1250.000000", "200.000000")
    retencion_p = root.find(f".//{PAGO20}RetencionP")
    assert (retencion_p.get("ImpuestoP"), retencion_p.get("ImporteP")) == ("001", "1.250000")
    assert totales(root) == {
        "TotalRetencionesISR": "1.25",
        "TotalTrasladosBaseIVA16": "1250.00",
        "TotalTrasladosImpuestoIVA16": "200.00",
        "MontoTotalPagos": "1548.75",
    }


def test_usd_payment_of_mxn_invoices(signer: Signer, official_cadena: Callable[[bytes], str]) -> None:
    first = invoice(concepto("1000.00", IVA16), uuid=UUID_A)
    second = invoice(concepto("300.00", IVA16), uuid=UUID_B)
    payment = pay(
        line(first, "1160.00", "17.5"),
        line(second, "348.00", "17.5"),
        moneda="USD",
        monto="86.18",
        tipo_cambio="17.5",
    )
    root = check_rep(rep(payment, signer).xml, official_cadena)
    pago = root.find(f".//{PAGO20}Pago")
    assert (pago.get("MonedaP"), pago.get("TipoCambioP"), pago.get("Monto")) == ("USD", "17.5", "86.18")
    assert [(d.get("MonedaDR"), d.get("EquivalenciaDR")) for d in docs(root)] == [("MXN", "17.5")] * 2
    traslado_p = root.find(f".//{PAGO20}TrasladoP")
    assert (traslado_p.get("BaseP"), traslado_p.get("ImporteP")) == ("74.285714", "11.885714")  # USD
    assert totales(root) == {
        "TotalTrasladosBaseIVA16": "1300.00",
        "TotalTrasladosImpuestoIVA16": "208.00",
        "MontoTotalPagos": "1508.15",
    }


def test_mxn_payment_of_a_usd_invoice(signer: Signer, official_cadena: Callable[[bytes], str]) -> None:
    doc = invoice(concepto("100.00", IVA16), moneda="USD")
    root = check_rep(
        rep(pay(line(doc, "116.00", "0.0571428571"), monto="2030.00"), signer).xml, official_cadena
    )
    (dr,) = docs(root)
    assert (dr.get("MonedaDR"), dr.get("EquivalenciaDR"), dr.get("ImpPagado")) == (
        "USD",
        "0.0571428571",
        "116.00",
    )
    traslado_p = root.find(f".//{PAGO20}TrasladoP")
    assert (traslado_p.get("BaseP"), traslado_p.get("ImporteP")) == ("1750.000001", "280.000000")  # MXN
    assert totales(root) == {
        "TotalTrasladosBaseIVA16": "1750.00",
        "TotalTrasladosImpuestoIVA16": "280.00",
        "MontoTotalPagos": "2030.00",
    }


def test_iva16_with_retentions(signer: Signer, official_cadena: Callable[[bytes], str]) -> None:
    doc = invoice(concepto("10000.00", IVA16, RET_ISR_RESICO, RET_IVA_2_3))
    root = check_rep(rep(pay(line(doc, "2602.08"), monto="2602.08"), signer).xml, official_cadena)
    retenciones_dr = [dict(r.attrib) for r in root.iter(f"{PAGO20}RetencionDR")]
    assert retenciones_dr == [
        {
            "BaseDR": "2499.997598",
            "ImpuestoDR": "001",
            "TipoFactorDR": "Tasa",
            "TasaOCuotaDR": "0.012500",
            "ImporteDR": "31.249970",
        },
        {
            "BaseDR": "2499.997598",
            "ImpuestoDR": "002",
            "TipoFactorDR": "Tasa",
            "TasaOCuotaDR": "0.106667",
            "ImporteDR": "266.667244",
        },
    ]
    assert [dict(r.attrib) for r in root.iter(f"{PAGO20}RetencionP")] == [
        {"ImpuestoP": "001", "ImporteP": "31.249970"},
        {"ImpuestoP": "002", "ImporteP": "266.667244"},
    ]
    assert totales(root) == {
        "TotalRetencionesIVA": "266.67",
        "TotalRetencionesISR": "31.25",
        "TotalTrasladosBaseIVA16": "2500.00",
        "TotalTrasladosImpuestoIVA16": "400.00",
        "MontoTotalPagos": "2602.08",
    }


def test_exento_and_iva0_invoices(signer: Signer, official_cadena: Callable[[bytes], str]) -> None:
    exento = invoice(concepto("500.00", IVA_EXENTO), uuid=UUID_A)
    tasa_cero = invoice(concepto("300.00", IVA0), uuid=UUID_B)
    root = check_rep(
        rep(pay(line(exento, "500.00"), line(tasa_cero, "300.00"), monto="800.00"), signer).xml,
        official_cadena,
    )
    assert [dict(t.attrib) for t in root.iter(f"{PAGO20}TrasladoDR")] == [
        {"BaseDR": "500.000000", "ImpuestoDR": "002", "TipoFactorDR": "Exento"},
        {
            "BaseDR": "300.000000",
            "ImpuestoDR": "002",
            "TipoFactorDR": "Tasa",
            "TasaOCuotaDR": "0.000000",
            "ImporteDR": "0.000000",
        },
    ]
    assert totales(root) == {
        "TotalTrasladosBaseIVA0": "300.00",
        "TotalTrasladosImpuestoIVA0": "0.00",
        "TotalTrasladosBaseIVAExento": "500.00",
        "MontoTotalPagos": "800.00",
    }


@pytest.mark.parametrize("vector", ["001", "002", "003", "004"])
def test_vectors_become_valid_reps_stating_cfdiutils_amounts(
    vector: str, signer: Signer, official_cadena: Callable[[bytes], str]
) -> None:
    # given the payments of a CfdiUtils vector (004's documents get placeholder UUIDs: it has none)
    pagos, payments = vector_payments(vector)
    # when they are built into one REP
    root = check_rep(rep(list(payments), signer).xml, official_cadena)
    # then its Totales are the vector's, attribute by attribute, and so is every ImpuestosP amount
    assert {k: D(v) for k, v in totales(root).items()} == {
        k: D(v) for k, v in pagos.find("pago20:Totales", NS).attrib.items()
    }
    ours = [(t.tag, dict(t.attrib)) for t in root.iterfind(f".//{PAGO20}ImpuestosP/*/*")]
    theirs = [(t.tag, dict(t.attrib)) for t in pagos.iterfind(".//pago20:ImpuestosP/*/*", NS)]
    assert len(ours) == len(theirs)
    for (our_tag, our), (their_tag, their) in zip(ours, theirs, strict=True):  # both in first-seen order
        assert our_tag == their_tag and our.keys() == their.keys()
        assert {k: v for k, v in our.items() if k not in ("BaseP", "ImporteP")} == {
            k: v for k, v in their.items() if k not in ("BaseP", "ImporteP")
        }
        for name in ("BaseP", "ImporteP"):
            if name in their:  # equal at the vector's decimals (6 in 001/004, 4 in 002/003)
                places = -D(their[name]).as_tuple().exponent  # type: ignore[operator]
                assert round(D(our[name]), places) == D(their[name]), (vector, name, our, their)
    assert [p.get("FechaPago") for p in root.iter(f"{PAGO20}Pago")] == [
        p.get("FechaPago") for p in pagos.iterfind("pago20:Pago", NS)
    ]


def test_aware_fecha_pago_is_written_in_the_given_zone(signer: Signer) -> None:
    payment = pay(line(invoice(*DEMO), "1000.00"), monto="1000.00")
    aware = Payment(
        **{**payment.__dict__, "fecha_pago": datetime(2026, 11, 19, 18, 30, tzinfo=ZoneInfo("UTC"))}
    )
    sealed = build_pago(
        aware, EMISOR, RECEPTOR, "22000", "P", "1", FECHA, signer, tz=ZoneInfo("America/Tijuana")
    )
    assert etree.fromstring(sealed.xml).find(f".//{PAGO20}Pago").get("FechaPago") == "2026-11-19T10:30:00"
    with pytest.raises(PaymentError):
        build_pago(aware, EMISOR, RECEPTOR, "22000", "P", "1", FECHA, signer)


def test_fecha_of_the_rep_must_be_naive_local_time(signer: Signer) -> None:
    with pytest.raises(ValueError, match="hora local"):
        build_pago(
            pay(line(invoice(*DEMO), "1000.00"), monto="1000.00"),
            EMISOR,
            RECEPTOR,
            "42501",
            "P",
            "1",
            NOW,
            signer,
        )


def test_an_amount_satcfdi_writes_differently_from_the_domain_is_caught(
    signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a satcfdi node that no longer says what the domain computed
    original = build_pago_module._pagos_node

    def drifting(*args: object):  # type: ignore[no-untyped-def]
        node = original(*args)  # type: ignore[arg-type]
        node["Pago"][0]["DoctoRelacionado"][0]["ImpSaldoInsoluto"] += D("0.01")
        return node

    monkeypatch.setattr(build_pago_module, "_pagos_node", drifting)
    # when the REP is built, then it refuses to sign it
    with pytest.raises(CfdiTotalsMismatch, match="ImpSaldoInsoluto"):
        rep(pay(line(invoice(*DEMO), "1000.00"), monto="1000.00"), signer)
