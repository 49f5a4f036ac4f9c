"""Throw-away SAT-shaped CA, CSD, e.firma (FIEL) and PAC certificates, for tests and demos.

Shapes copied from the SAT's own files: the test CSD EKU9003173C9 (subject CN, name, O,
x500UniqueIdentifier "RFC / RFC representante", serialNumber " / CURP", OU sucursal; extensions
basicConstraints CA:FALSE + keyUsage digitalSignature+nonRepudiation; serial = 20 ASCII digits) and the
SAT's test FIEL AAA010101AAA (no OU; keyUsage also dataEncipherment+keyAgreement; Netscape cert type;
extendedKeyUsage emailProtection+clientAuth). The .key is DER PKCS#8 encrypted with a password, like the
SAT's. Nothing minted here is fiscally valid: the CA says so in its name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CsdKind = Literal["csd", "fiel", "pac"]

_NAME_OID = x509.ObjectIdentifier("2.5.4.41")
_NETSCAPE_CERT_TYPE = x509.ObjectIdentifier("2.16.840.1.113730.1.1")
_NETSCAPE_SSL_CLIENT_SMIME = b"\x03\x02\x05\xa0"  # BIT STRING: SSL client + S/MIME, as in the SAT's FIEL
_DEFAULT_CURP = "XEXX010101HNEXXXA4"
_CA_WINDOW = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2099, 12, 31, tzinfo=UTC))


@dataclass(frozen=True)
class TestCa:
    """A throw-away certification authority; its private key never shows in repr()."""

    __test__ = False  # not a pytest test class

    certificate: x509.Certificate = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)

    def __repr__(self) -> str:
        return f"TestCa(subject={self.certificate.subject.rfc4514_string()!r}, private_key=<redacted>)"


@dataclass(frozen=True)
class MintedCsd:
    """A minted certificate with its encrypted key, in the SAT's file formats (.cer DER, .key DER PKCS#8)."""

    rfc: str
    no_certificado: str
    kind: CsdKind
    cer: bytes = field(repr=False)
    key: bytes = field(repr=False)
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"MintedCsd(rfc={self.rfc!r}, no_certificado={self.no_certificado!r}, kind={self.kind!r}, "
            "key=<redacted>, password=<redacted>)"
        )


def mint_ca(*, valid_from: datetime, valid_to: datetime) -> TestCa:
    """A self-signed CA shaped like the SAT's test "AC UAT", clearly marked as not fiscally valid."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "AC DE PRUEBAS TIMBRA (SIN VALIDEZ FISCAL)"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, "SERVICIO DE ADMINISTRACION TRIBUTARIA (IMITACION)"
            ),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "SAT-IES Authority"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(_sat_serial(_random_no_certificado()))
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(private_key, hashes.SHA256())
    )
    return TestCa(certificate=certificate, private_key=private_key)


def default_ca() -> TestCa:
    """One CA per process (RSA key generation takes ~50-100 ms), valid 2000-2099."""
    global _default_ca
    if _default_ca is None:
        _default_ca = mint_ca(valid_from=_CA_WINDOW[0], valid_to=_CA_WINDOW[1])
    return _default_ca


_default_ca: TestCa | None = None


def mint_csd(
    rfc: str,
    nombre: str,
    *,
    valid_from: datetime,
    valid_to: datetime,
    password: str,
    kind: CsdKind = "csd",
    ca: TestCa | None = None,
    no_certificado: str | None = None,
    representante_rfc: str | None = None,
    curp: str = _DEFAULT_CURP,
    sucursal: str = "Sucursal 1",
) -> MintedCsd:
    """Mint a SAT-shaped certificate and its password-encrypted key.

    ``kind``: "csd" (sello digital), "fiel" (e.firma: must be rejected for sealing) or "pac" (a PAC's
    CSD, OU "PAC" + RFC, as satcfdi's ``Certificate.rfc_pac`` reads it). ``representante_rfc`` gives the
    persona moral form "RFC / RFC representante" with serialNumber " / CURP".
    """
    ca = ca or default_ca()
    number = no_certificado or _random_no_certificado()
    if len(number) != 20 or not number.isdigit():
        raise ValueError("no_certificado must be 20 digits")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_subject(rfc, nombre, kind, representante_rfc, curp, sucursal))
        .issuer_name(ca.certificate.subject)
        .public_key(private_key.public_key())
        .serial_number(_sat_serial(number))
        .not_valid_before(valid_from)
        .not_valid_after(valid_to)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(fiel=kind == "fiel"), critical=False)
    )
    if kind == "fiel":
        builder = builder.add_extension(
            x509.UnrecognizedExtension(_NETSCAPE_CERT_TYPE, _NETSCAPE_SSL_CLIENT_SMIME), critical=False
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    certificate = builder.sign(ca.private_key, hashes.SHA256())
    key = private_key.private_bytes(
        Encoding.DER, PrivateFormat.PKCS8, BestAvailableEncryption(password.encode())
    )
    return MintedCsd(
        rfc=rfc,
        no_certificado=number,
        kind=kind,
        cer=certificate.public_bytes(Encoding.DER),
        key=key,
        password=password,
    )


def _subject(
    rfc: str, nombre: str, kind: CsdKind, representante_rfc: str | None, curp: str, sucursal: str
) -> x509.Name:
    unique = f"{rfc} / {representante_rfc}" if representante_rfc else rfc
    serial = f" / {curp}" if representante_rfc else curp
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, nombre),
        x509.NameAttribute(_NAME_OID, nombre),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, nombre),
    ]
    if kind == "fiel":
        # The SAT's FIEL carries country and e-mail where the CSD carries the sucursal (OU).
        attributes += [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "pruebas@example.com"),
        ]
    attributes += [
        x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, unique),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, serial),
    ]
    if kind != "fiel":
        unit = f"PAC{rfc}" if kind == "pac" else sucursal
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    return x509.Name(attributes)


def _key_usage(*, fiel: bool = False, cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=fiel,
        key_agreement=fiel,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _sat_serial(no_certificado: str) -> int:
    # The SAT writes NoCertificado's 20 ASCII digits as the serial's bytes ("3416" -> 0x33343136).
    return int.from_bytes(no_certificado.encode("ascii"), "big")


def _random_no_certificado() -> str:
    return "30001000000" + f"{secrets.randbelow(10**9):09d}"
