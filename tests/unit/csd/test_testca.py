from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal

from cryptography import x509
from cryptography.x509.oid import NameOID
from OpenSSL import crypto
from satcfdi.create.cfd import cfdi40
from satcfdi.models import Certificate
from satcfdi.models.certificate import CertificateType

from timbra.csd.certificate import inspect_csd
from timbra.csd.signers import build_signer
from timbra.csd.testca import MintedCsd, default_ca, mint_csd

from .conftest import AS_OF, MINTED_FROM, MINTED_TO


def _satcfdi(cer: bytes) -> Certificate:
    return Certificate(crypto.load_certificate(crypto.FILETYPE_ASN1, cer))


def test_a_minted_csd_is_sat_shaped(minted_csd: MintedCsd) -> None:
    certificate = x509.load_der_x509_certificate(minted_csd.cer)
    subject = certificate.subject

    assert (
        subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)[0].value
        == "TPR190101AB1 / VADA800927DJ3"
    )
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value.startswith(" / ")
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "Sucursal 1"
    assert certificate.serial_number.to_bytes(20, "big").decode() == minted_csd.no_certificado
    assert certificate.issuer == default_ca().certificate.subject
    assert certificate.public_key().key_size == 2048
    # satcfdi reads it the way it reads the SAT's: same NoCertificado, recognised as a CSD.
    assert _satcfdi(minted_csd.cer).certificate_number == minted_csd.no_certificado
    assert _satcfdi(minted_csd.cer).type == CertificateType.CSD


def test_a_minted_fiel_looks_like_the_sats_fiel(minted_fiel: MintedCsd) -> None:
    certificate = x509.load_der_x509_certificate(minted_fiel.cer)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value

    assert usage.data_encipherment and usage.key_agreement
    assert not certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    assert _satcfdi(minted_fiel.cer).type == CertificateType.Fiel


def test_a_minted_pac_certificate_names_the_pac_in_its_ou() -> None:
    pac = mint_csd(
        "SPR190613I52", "PAC DE PRUEBAS", valid_from=MINTED_FROM, valid_to=MINTED_TO, password="p", kind="pac"
    )

    assert str(_satcfdi(pac.cer).rfc_pac) == "SPR190613I52"
    assert inspect_csd(pac.cer, pac.key, "p", expected_rfc="SPR190613I52", as_of=AS_OF).is_csd


def test_a_persona_fisica_csd_carries_the_rfc_alone() -> None:
    fisica = mint_csd(
        "VADA800927DJ3",
        "DANIEL VARGAS",
        valid_from=MINTED_FROM,
        valid_to=MINTED_TO,
        password="p",
        no_certificado="30001000000400002495",
    )

    info = inspect_csd(fisica.cer, fisica.key, "p", expected_rfc="VADA800927DJ3", as_of=AS_OF)

    assert (info.rfc, info.no_certificado) == ("VADA800927DJ3", "30001000000400002495")


def test_a_minted_csd_seals_a_cfdi_with_satcfdi(minted_csd: MintedCsd) -> None:
    signer = build_signer(minted_csd.cer, minted_csd.key, minted_csd.password)
    comprobante = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(rfc=minted_csd.rfc, nombre="TIMBRA PRUEBAS", regimen_fiscal="601"),
        lugar_expedicion="42501",
        receptor=cfdi40.Receptor(
            rfc="XAXX010101000",
            nombre="PUBLICO EN GENERAL",
            domicilio_fiscal_receptor="42501",
            regimen_fiscal_receptor="616",
            uso_cfdi="S01",
        ),
        conceptos=[
            cfdi40.Concepto(
                clave_prod_serv="81112100",
                cantidad=Decimal(1),
                clave_unidad="E48",
                descripcion="Suscripción mensual",
                valor_unitario=Decimal("100.00"),
                objeto_imp="01",
            )
        ],
        forma_pago="04",
        metodo_pago="PUE",
        fecha=datetime(2026, 11, 20, 10, 0, 0),
    )

    comprobante.sign(signer)

    assert comprobante["NoCertificado"] == minted_csd.no_certificado
    assert base64.b64decode(comprobante["Certificado"]) == minted_csd.cer
    cadena = comprobante.cadena_original().encode()
    assert signer.verify_sha256(cadena, base64.b64decode(comprobante["Sello"]))
    assert b"Sello=" in comprobante.xml_bytes()


def test_minted_objects_never_show_keys_or_passwords(minted_csd: MintedCsd) -> None:
    ca = default_ca()

    for text in (repr(minted_csd), str(minted_csd), repr(ca), str(ca)):
        assert "redacted" in text
        assert minted_csd.password not in text
        assert "PRIVATE KEY" not in text
    assert repr(minted_csd.key) not in repr(minted_csd)
