"""Parse and verify an issuer's CSD (Certificado de Sello Digital) at upload time.

Pure module: bytes in, values out. The expensive part (decrypting the SAT .key and running the full RSA
key validation, 30-70 ms) happens here once, when the issuer uploads the files; sealing later reloads the
same, already validated bytes without that check (see ``timbra.csd.signers``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_private_key,
    load_pem_private_key,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The SAT puts "RFC / RFC del representante legal" in x500UniqueIdentifier (OID 2.5.4.45) of the subject.
_NAME_OID = x509.ObjectIdentifier("2.5.4.41")


class CsdErrorCode(StrEnum):
    """Stable codes for programs; the Spanish message travels next to it in ``CsdError``."""

    MALFORMED_CERTIFICATE = "malformed_certificate"
    MALFORMED_KEY = "malformed_key"
    BAD_PASSWORD = "bad_password"
    KEY_MISMATCH = "key_mismatch"
    FIEL_NOT_CSD = "fiel_not_csd"
    NOT_CSD = "not_csd"
    RFC_MISMATCH = "rfc_mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


class CsdError(Exception):
    """An uploaded CSD was rejected. ``code`` is stable; ``message_es`` is shown to the person."""

    def __init__(self, code: CsdErrorCode, message_es: str) -> None:
        super().__init__(f"{code}: {message_es}")
        self.code = code
        self.message_es = message_es


@dataclass(frozen=True)
class CsdInfo:
    """What Timbra keeps about a verified CSD (no secrets: the key stays in the vault)."""

    rfc: str
    nombre: str
    no_certificado: str
    valid_from: datetime
    valid_to: datetime
    is_csd: bool
    fingerprint: str  # sha256 of the DER certificate, lowercase hex
    certificate_der: bytes = field(repr=False)


def inspect_csd(cer: bytes, key: bytes, password: str, *, expected_rfc: str, as_of: datetime) -> CsdInfo:
    """Verify an uploaded .cer/.key pair for the org whose RFC is ``expected_rfc``, at ``as_of``.

    Accepts the SAT's DER files and PEM. Raises ``CsdError`` with a stable code when the files are
    malformed, the password is wrong, the key is not the certificate's, the certificate is an e.firma
    (FIEL), belongs to another RFC, or is not valid at ``as_of``.
    """
    _require_aware(as_of)
    certificate = load_certificate(cer)
    _require_csd(certificate)
    rfc = _require_rfc(certificate, expected_rfc)
    _require_valid_at(certificate, as_of)
    private_key = load_private_key(key, password, validate=True)
    if not public_keys_match(private_key, certificate):
        raise CsdError(
            CsdErrorCode.KEY_MISMATCH,
            "La llave privada (.key) no corresponde al certificado (.cer). "
            "Verifica que ambos archivos sean del mismo CSD.",
        )
    der = certificate.public_bytes(Encoding.DER)
    return CsdInfo(
        rfc=rfc,
        nombre=_subject_name(certificate),
        no_certificado=no_certificado_of(certificate),
        valid_from=certificate.not_valid_before_utc,
        valid_to=certificate.not_valid_after_utc,
        is_csd=True,
        fingerprint=hashlib.sha256(der).hexdigest(),
        certificate_der=der,
    )


def load_certificate(cer: bytes) -> x509.Certificate:
    """Load a certificate given as DER (the SAT's .cer), PEM, or the bare base64 of the DER."""
    try:
        if cer[:1] == b"\x30":
            # DER as is: stripping could eat trailing bytes that happen to be whitespace.
            return x509.load_der_x509_certificate(cer)
        text = cer.strip()
        if text.startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(text)
        # CFDI's Certificado attribute is the base64 of the DER; people paste it as a file too.
        return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise CsdError(
            CsdErrorCode.MALFORMED_CERTIFICATE,
            "El archivo .cer no es un certificado válido. Sube el archivo .cer que entregó el SAT.",
        ) from exc


def load_private_key(key: bytes, password: str, *, validate: bool) -> rsa.RSAPrivateKey:
    """Decrypt a SAT .key (DER PKCS#8 encrypted with ``password``) or its PEM form.

    ``validate=False`` skips OpenSSL's RSA consistency checks (about 100 times faster); only use it for
    bytes that already passed ``inspect_csd`` and were kept under authenticated encryption since.
    """
    data = key.strip() if key.lstrip().startswith(b"-----BEGIN") else key
    if not _looks_encrypted(data):
        raise CsdError(
            CsdErrorCode.MALFORMED_KEY,
            "El archivo .key no es una llave privada cifrada con contraseña. "
            "Sube el archivo .key que entregó el SAT junto con tu CSD.",
        )
    loader = load_pem_private_key if data.startswith(b"-----BEGIN") else load_der_private_key
    try:
        private_key = loader(data, password.encode(), unsafe_skip_rsa_key_validation=not validate)
    except (ValueError, TypeError) as exc:
        # The file has the shape of an encrypted key, so a failure to decrypt is the password (an empty
        # password is a TypeError in cryptography).
        raise CsdError(CsdErrorCode.BAD_PASSWORD, "La contraseña de la llave privada es incorrecta.") from exc
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise CsdError(
            CsdErrorCode.MALFORMED_KEY, "La llave privada no es RSA, como las que emite el SAT para el CSD."
        )
    return private_key


def public_keys_match(private_key: rsa.RSAPrivateKey, certificate: x509.Certificate) -> bool:
    """True when ``private_key`` is the key certified by ``certificate``."""
    spki = PublicFormat.SubjectPublicKeyInfo
    mine = private_key.public_key().public_bytes(Encoding.DER, spki)
    return mine == certificate.public_key().public_bytes(Encoding.DER, spki)


def no_certificado_of(certificate: x509.Certificate) -> str:
    """The SAT's 20-digit NoCertificado: the certificate serial's bytes read as ASCII digits."""
    serial = certificate.serial_number
    raw = serial.to_bytes((serial.bit_length() + 7) // 8 or 1, "big")
    text = raw.decode("ascii", errors="replace")
    if len(text) != 20 or not text.isdigit():
        raise CsdError(
            CsdErrorCode.NOT_CSD,
            "El número de serie del certificado no tiene el formato del SAT (20 dígitos); "
            "no parece un CSD emitido por el SAT.",
        )
    return text


def days_until_expiry(info: CsdInfo, as_of: datetime) -> int:
    """Whole days left before the CSD expires (0 on its last day, negative once expired)."""
    _require_aware(as_of)
    return (info.valid_to - as_of).days


def expiry_warning(info: CsdInfo, as_of: datetime, warn_days: int = 30) -> str | None:
    """A Spanish warning when the CSD expires within ``warn_days`` (or already did), else None."""
    days = days_until_expiry(info, as_of)
    fecha = _fecha(info.valid_to, as_of.tzinfo)
    if as_of >= info.valid_to:
        return (
            f"Tu CSD {info.no_certificado} venció el {fecha}. No se pueden sellar facturas hasta que "
            "subas uno vigente; solicítalo en el portal del SAT (CertiSAT Web)."
        )
    if days > warn_days:
        return None
    cuando = "hoy" if days == 0 else ("en 1 día" if days == 1 else f"en {days} días")
    return (
        f"Tu CSD {info.no_certificado} vence {cuando} ({fecha}). Renuévalo en el portal del SAT "
        "(CertiSAT Web) y súbelo a Timbra antes de esa fecha para no detener la facturación."
    )


def _require_csd(certificate: x509.Certificate) -> None:
    """Tell a CSD from an e.firma (FIEL) and from anything else.

    Verified on the SAT's own files: a CSD (e.g. EKU9003173C9, 30001000000500003416) has exactly
    basicConstraints CA:FALSE + keyUsage digitalSignature+nonRepudiation, and a subject OU (the
    "sucursal"). A FIEL has keyUsage digitalSignature+nonRepudiation+dataEncipherment+keyAgreement,
    extendedKeyUsage emailProtection+clientAuth, a Netscape cert type, and no OU (phpcfdi/credentials
    also tells them apart by the OU). A FIEL cannot seal CFDI (CFF art. 29 fr. II asks for a CSD).
    """
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CsdError(CsdErrorCode.NOT_CSD, "El certificado no usa una llave RSA como los CSD del SAT.")
    usage = _key_usage(certificate)
    if usage is None or not (usage.digital_signature and usage.content_commitment) or usage.key_cert_sign:
        raise CsdError(
            CsdErrorCode.NOT_CSD,
            "El certificado no es un Certificado de Sello Digital (CSD) del SAT: no sirve para sellar facturas.",
        )
    if (
        usage.data_encipherment
        or usage.key_agreement
        or _has_fiel_eku(certificate)
        or not _has_ou(certificate)
    ):
        raise CsdError(
            CsdErrorCode.FIEL_NOT_CSD,
            "Este certificado es de e.firma (FIEL), no un Certificado de Sello Digital (CSD). "
            "Para facturar necesitas tu CSD; solicítalo en el portal del SAT con CertiSAT Web.",
        )
    no_certificado_of(certificate)


def _key_usage(certificate: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _has_fiel_eku(certificate: x509.Certificate) -> bool:
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return ExtendedKeyUsageOID.EMAIL_PROTECTION in eku or ExtendedKeyUsageOID.CLIENT_AUTH in eku


def _has_ou(certificate: x509.Certificate) -> bool:
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(str(unit.value).strip() for unit in units)


def _require_rfc(certificate: x509.Certificate, expected_rfc: str) -> str:
    rfc = certificate_rfc(certificate)
    if rfc is None:
        raise CsdError(
            CsdErrorCode.NOT_CSD, "El certificado no indica un RFC; no es un CSD emitido por el SAT."
        )
    expected = expected_rfc.strip().upper()
    if rfc != expected:
        raise CsdError(
            CsdErrorCode.RFC_MISMATCH,
            f"El certificado pertenece al RFC {rfc}, pero el RFC de la empresa es {expected}.",
        )
    return rfc


def certificate_rfc(certificate: x509.Certificate) -> str | None:
    """The holder's RFC: the part before "/" of x500UniqueIdentifier ("RFC / RFC del representante")."""
    values = certificate.subject.get_attributes_for_oid(NameOID.X500_UNIQUE_IDENTIFIER)
    if not values:
        return None
    value = values[0].value
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    rfc = text.split("/")[0].strip().upper()
    return rfc or None


def _subject_name(certificate: x509.Certificate) -> str:
    for oid in (NameOID.COMMON_NAME, _NAME_OID, NameOID.ORGANIZATION_NAME):
        values = certificate.subject.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value).strip()
    return ""


def _require_valid_at(certificate: x509.Certificate, as_of: datetime) -> None:
    # The PAC rejects a CFDI sealed outside the certificate's validity (Finkok 305), so check at upload.
    valid_from, valid_to = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if as_of < valid_from:
        raise CsdError(
            CsdErrorCode.NOT_YET_VALID,
            f"El certificado todavía no es vigente: su vigencia empieza el {_fecha(valid_from, as_of.tzinfo)}.",
        )
    if as_of > valid_to:
        raise CsdError(
            CsdErrorCode.EXPIRED,
            f"El certificado venció el {_fecha(valid_to, as_of.tzinfo)}. Sube un CSD vigente.",
        )


def _looks_encrypted(data: bytes) -> bool:
    """Is this an encrypted key: PEM with an encryption header, or DER EncryptedPrivateKeyInfo?

    EncryptedPrivateKeyInfo is SEQUENCE { SEQUENCE { OID, ... }, OCTET STRING }; a plain PKCS#8 or PKCS#1
    key starts SEQUENCE { INTEGER, ... } instead. Knowing the shape lets a decryption failure mean
    "wrong password" rather than "bad file".
    """
    if data.startswith(b"-----BEGIN"):
        return data.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") or b"Proc-Type: 4,ENCRYPTED" in data
    inner = _skip_header(data, 0, expected_tag=0x30)
    if inner is None:
        return False
    algorithm = _skip_header(data, inner, expected_tag=0x30)
    return algorithm is not None and data[algorithm : algorithm + 1] == b"\x06"


def _skip_header(data: bytes, at: int, *, expected_tag: int) -> int | None:
    """Offset of the content of the DER element at ``at`` if its tag is ``expected_tag``."""
    if len(data) < at + 2 or data[at] != expected_tag:
        return None
    first = data[at + 1]
    if first < 0x80:
        return at + 2
    width = first & 0x7F
    return at + 2 + width if 0 < width <= 4 and len(data) >= at + 2 + width else None


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")


def _fecha(moment: datetime, tz: tzinfo | None) -> str:
    return moment.astimezone(tz).strftime("%d/%m/%Y")
