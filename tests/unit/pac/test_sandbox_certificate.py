"""The sandbox PAC's own certificate: generated once per TIMBRA_HOME, plainly not fiscally valid."""

from __future__ import annotations

import stat
import threading
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from timbra.cfdi.sandbox_pac import load_or_create_sandbox_certificate, sandbox_certificate_pem

from .cfdi_factory import NOW


def test_certificate_is_created_once_per_home(tmp_path: Path) -> None:
    # given an empty TIMBRA_HOME
    first_der, first_signer = load_or_create_sandbox_certificate(tmp_path, NOW)
    # when it is loaded again, even with another "now"
    second_der, second_signer = load_or_create_sandbox_certificate(tmp_path, NOW + timedelta(days=30))
    # then it is the same certificate, stored as cert.der and a private key.pem only the owner reads
    assert second_der == first_der
    assert second_signer.certificate_number == first_signer.certificate_number
    assert (tmp_path / "sandbox-pac" / "cert.der").read_bytes() == first_der
    assert stat.S_IMODE((tmp_path / "sandbox-pac" / "key.pem").stat().st_mode) == 0o600


def test_each_home_gets_its_own_certificate(tmp_path: Path) -> None:
    one, _ = load_or_create_sandbox_certificate(tmp_path / "one", NOW)
    two, _ = load_or_create_sandbox_certificate(tmp_path / "two", NOW)
    assert one != two


def test_certificate_says_it_has_no_fiscal_validity_and_lasts_ten_years(tmp_path: Path) -> None:
    cert_der, signer = load_or_create_sandbox_certificate(tmp_path, NOW)
    certificate = x509.load_der_x509_certificate(cert_der)

    common_name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "TIMBRA SANDBOX PAC — SIN VALIDEZ FISCAL"
    assert str(signer.rfc_pac) == "SAT970701NN3"  # satcfdi reads RfcProvCertif from the OU "PAC<RFC>"
    assert len(signer.certificate_number) == 20 and signer.certificate_number.isdigit()
    assert certificate.public_key().key_size == 2048  # type: ignore[union-attr]
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=3650) <= lifetime <= timedelta(days=3660)
    assert certificate.not_valid_before_utc <= NOW <= certificate.not_valid_after_utc


def test_certificate_pem_is_the_same_certificate_for_download(tmp_path: Path) -> None:
    cert_der, _ = load_or_create_sandbox_certificate(tmp_path, NOW)
    pem = sandbox_certificate_pem(tmp_path)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER) == cert_der


def test_two_processes_creating_the_certificate_at_once_end_with_one(tmp_path: Path) -> None:
    # both find no certificate and both mint one; the atomic rename lets exactly one win
    barrier = threading.Barrier(2)
    loaded: list[bytes] = []

    def create() -> None:
        barrier.wait()
        loaded.append(load_or_create_sandbox_certificate(tmp_path, NOW)[0])

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(loaded) == 2 and loaded[0] == loaded[1]
    assert [p.name for p in tmp_path.iterdir()] == ["sandbox-pac"]  # no staging directory left behind
