from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
)

from timbra.csd.certificate import (
    CsdError,
    CsdErrorCode,
    CsdInfo,
    days_until_expiry,
    expiry_warning,
    inspect_csd,
    load_certificate,
)
from timbra.csd.testca import default_ca

from .conftest import AS_OF, SatCsd


def _rejection(cer: bytes, key: bytes, password: str, *, rfc: str, as_of: datetime = AS_OF) -> CsdError:
    with pytest.raises(CsdError) as caught:
        inspect_csd(cer, key, password, expected_rfc=rfc, as_of=as_of)
    return caught.value


def test_the_sat_test_csd_is_accepted_with_its_sat_data(sat_csd: SatCsd) -> None:
    info = inspect_csd(sat_csd.cer, sat_csd.key, sat_csd.password, expected_rfc="EKU9003173C9", as_of=AS_OF)

    assert info.rfc == "EKU9003173C9"
    assert info.no_certificado == "30001000000500003416"
    assert info.nombre == "ESCUELA KEMPER URGATE SA DE CV"
    assert info.is_csd is True
    assert info.valid_from == datetime(2023, 5, 18, 11, 43, 51, tzinfo=UTC)
    assert info.valid_to == datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC)
    assert info.certificate_der == sat_csd.cer
    assert len(info.fingerprint) == 64


def test_the_expected_rfc_is_compared_without_case_or_spaces(sat_csd: SatCsd) -> None:
    info = inspect_csd(sat_csd.cer, sat_csd.key, sat_csd.password, expected_rfc=" eku9003173c9 ", as_of=AS_OF)

    assert info.rfc == "EKU9003173C9"


def test_pem_certificate_and_pem_keys_are_accepted(sat_csd: SatCsd) -> None:
    cer_pem = x509.load_der_x509_certificate(sat_csd.cer).public_bytes(Encoding.PEM)
    pkcs8_pem = (
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        + base64.encodebytes(sat_csd.key)
        + b"-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    traditional_pem = load_der_private_key(sat_csd.key, b"12345678a").private_bytes(
        Encoding.PEM, PrivateFormat.TraditionalOpenSSL, BestAvailableEncryption(b"12345678a")
    )

    for key in (pkcs8_pem, traditional_pem):
        info = inspect_csd(cer_pem, key, sat_csd.password, expected_rfc="EKU9003173C9", as_of=AS_OF)
        assert info.no_certificado == "30001000000500003416"
        assert info.certificate_der == sat_csd.cer


def test_the_base64_text_of_the_certificate_is_accepted(sat_csd: SatCsd) -> None:
    info = inspect_csd(
        base64.b64encode(sat_csd.cer), sat_csd.key, sat_csd.password, expected_rfc="EKU9003173C9", as_of=AS_OF
    )

    assert info.rfc == "EKU9003173C9"


def test_a_wrong_password_is_rejected(sat_csd: SatCsd) -> None:
    error = _rejection(sat_csd.cer, sat_csd.key, "no-es-la-clave", rfc="EKU9003173C9")

    assert error.code == CsdErrorCode.BAD_PASSWORD
    assert "contraseña" in error.message_es


def test_an_empty_password_is_a_wrong_password(sat_csd: SatCsd) -> None:
    assert _rejection(sat_csd.cer, sat_csd.key, "", rfc="EKU9003173C9").code == CsdErrorCode.BAD_PASSWORD


def test_the_key_of_another_certificate_is_rejected(sat_csd: SatCsd, minted_csd) -> None:
    error = _rejection(sat_csd.cer, minted_csd.key, minted_csd.password, rfc="EKU9003173C9")

    assert error.code == CsdErrorCode.KEY_MISMATCH
    assert "no corresponde" in error.message_es


def test_a_fiel_is_rejected_as_not_a_csd(minted_fiel) -> None:
    error = _rejection(minted_fiel.cer, minted_fiel.key, minted_fiel.password, rfc=minted_fiel.rfc)

    assert error.code == CsdErrorCode.FIEL_NOT_CSD
    assert "e.firma" in error.message_es


def test_a_ca_certificate_is_rejected_as_not_a_csd(minted_csd) -> None:
    ca_der = default_ca().certificate.public_bytes(Encoding.DER)

    error = _rejection(ca_der, minted_csd.key, minted_csd.password, rfc=minted_csd.rfc)

    assert error.code == CsdErrorCode.NOT_CSD


def test_a_certificate_of_another_rfc_is_rejected(sat_csd: SatCsd) -> None:
    error = _rejection(sat_csd.cer, sat_csd.key, sat_csd.password, rfc="AAA010101AAA")

    assert error.code == CsdErrorCode.RFC_MISMATCH
    assert "EKU9003173C9" in error.message_es and "AAA010101AAA" in error.message_es


def test_an_expired_certificate_is_rejected(sat_csd: SatCsd) -> None:
    error = _rejection(
        sat_csd.cer, sat_csd.key, sat_csd.password, rfc="EKU9003173C9", as_of=datetime(2027, 6, 1, tzinfo=UTC)
    )

    assert error.code == CsdErrorCode.EXPIRED
    assert "18/05/2027" in error.message_es


def test_a_certificate_not_yet_valid_is_rejected(sat_csd: SatCsd) -> None:
    error = _rejection(
        sat_csd.cer, sat_csd.key, sat_csd.password, rfc="EKU9003173C9", as_of=datetime(2023, 1, 1, tzinfo=UTC)
    )

    assert error.code == CsdErrorCode.NOT_YET_VALID


def test_a_naive_as_of_is_a_programming_error(sat_csd: SatCsd) -> None:
    with pytest.raises(ValueError):
        inspect_csd(sat_csd.cer, sat_csd.key, "x", expected_rfc="EKU9003173C9", as_of=datetime(2026, 1, 1))


@pytest.mark.parametrize("cer", [b"", b"not a certificate", b"\x30\x03\x02\x01\x00"])
def test_a_malformed_certificate_is_rejected(cer: bytes, sat_csd: SatCsd) -> None:
    error = _rejection(cer, sat_csd.key, sat_csd.password, rfc="EKU9003173C9")

    assert error.code == CsdErrorCode.MALFORMED_CERTIFICATE


@pytest.mark.parametrize("key", [b"", b"not a key", b"\x30\x82\x01\x00\x02\x01\x00"])
def test_a_malformed_key_is_rejected(key: bytes, sat_csd: SatCsd) -> None:
    error = _rejection(sat_csd.cer, key, sat_csd.password, rfc="EKU9003173C9")

    assert error.code == CsdErrorCode.MALFORMED_KEY


def test_an_unencrypted_key_is_rejected_as_not_the_sat_file(sat_csd: SatCsd) -> None:
    plain = load_der_private_key(sat_csd.key, b"12345678a").private_bytes(
        Encoding.DER, PrivateFormat.PKCS8, NoEncryption()
    )

    error = _rejection(sat_csd.cer, plain, sat_csd.password, rfc="EKU9003173C9")

    assert error.code == CsdErrorCode.MALFORMED_KEY
    assert "cifrada" in error.message_es


def test_a_minted_moral_csd_reads_the_rfc_before_the_representative(minted_csd) -> None:
    info = inspect_csd(
        minted_csd.cer, minted_csd.key, minted_csd.password, expected_rfc="TPR190101AB1", as_of=AS_OF
    )

    assert info.rfc == "TPR190101AB1"
    assert info.no_certificado == minted_csd.no_certificado
    assert info.nombre == "TIMBRA PRUEBAS"


def test_a_csd_with_a_foreign_serial_format_is_rejected(minted_csd) -> None:
    tampered = _reissue_with_serial(minted_csd.cer, 123456789)

    error = _rejection(tampered, minted_csd.key, minted_csd.password, rfc=minted_csd.rfc)

    assert error.code == CsdErrorCode.NOT_CSD


def _reissue_with_serial(cer: bytes, serial: int) -> bytes:
    original = x509.load_der_x509_certificate(cer)
    builder = (
        x509.CertificateBuilder()
        .subject_name(original.subject)
        .issuer_name(original.issuer)
        .public_key(original.public_key())
        .serial_number(serial)
        .not_valid_before(original.not_valid_before_utc)
        .not_valid_after(original.not_valid_after_utc)
    )
    for extension in original.extensions:
        builder = builder.add_extension(extension.value, critical=extension.critical)
    return builder.sign(default_ca().private_key, hashes.SHA256()).public_bytes(Encoding.DER)


def _info(valid_to: datetime) -> CsdInfo:
    return CsdInfo(
        rfc="EKU9003173C9",
        nombre="ESCUELA KEMPER URGATE SA DE CV",
        no_certificado="30001000000500003416",
        valid_from=valid_to - timedelta(days=4 * 365),
        valid_to=valid_to,
        is_csd=True,
        fingerprint="0" * 64,
        certificate_der=b"",
    )


def test_days_until_expiry_counts_whole_days_and_goes_negative_after() -> None:
    info = _info(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC))

    assert days_until_expiry(info, datetime(2027, 5, 8, 11, 43, 51, tzinfo=UTC)) == 10
    assert days_until_expiry(info, datetime(2027, 5, 18, 0, 0, tzinfo=UTC)) == 0
    assert days_until_expiry(info, datetime(2027, 5, 20, 0, 0, tzinfo=UTC)) < 0


def test_no_warning_while_expiry_is_far_away() -> None:
    info = _info(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC))

    assert expiry_warning(info, AS_OF) is None


def test_a_warning_in_spanish_when_expiry_is_near() -> None:
    info = _info(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC))

    warning = expiry_warning(info, datetime(2027, 5, 8, 10, 0, tzinfo=UTC))

    assert warning is not None
    assert "vence en 10 días" in warning and "18/05/2027" in warning and "30001000000500003416" in warning


def test_the_warning_window_is_configurable() -> None:
    info = _info(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC))
    as_of = datetime(2027, 3, 1, tzinfo=UTC)

    assert expiry_warning(info, as_of) is None
    assert expiry_warning(info, as_of, warn_days=90) is not None


def test_an_expired_csd_warns_that_it_expired() -> None:
    info = _info(datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC))

    warning = expiry_warning(info, datetime(2027, 6, 1, tzinfo=UTC))

    assert warning is not None and "venció" in warning


def test_errors_and_info_never_show_the_password(sat_csd: SatCsd) -> None:
    error = _rejection(sat_csd.cer, sat_csd.key, "secreto-123", rfc="EKU9003173C9")
    info = inspect_csd(sat_csd.cer, sat_csd.key, sat_csd.password, expected_rfc="EKU9003173C9", as_of=AS_OF)

    assert "secreto-123" not in str(error) and "secreto-123" not in repr(error)
    assert sat_csd.password not in repr(info) and sat_csd.password not in str(info)
    assert "certificate_der" not in repr(info)


def test_a_der_certificate_ending_in_a_whitespace_byte_is_not_trimmed(minted_csd) -> None:
    # Regression: stripping "whitespace" from DER cut the last signature byte of some certificates.
    whitespace = b" \t\n\r\x0b\x0c"
    serial = next(
        s for s in range(1, 5000) if _reissue_with_serial(minted_csd.cer, 10**19 + s)[-1:] in whitespace
    )
    der = _reissue_with_serial(minted_csd.cer, 10**19 + serial)

    assert load_certificate(der).public_bytes(Encoding.DER) == der
