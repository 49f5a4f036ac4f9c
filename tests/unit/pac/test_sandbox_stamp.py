"""The sandbox PAC's happy path and its PAC-style idempotency."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import datetime

from cryptography import x509
from lxml import etree

from timbra.cfdi.pac import Pac
from timbra.cfdi.sandbox_pac import SANDBOX_LEYENDA, SandboxPac, load_or_create_sandbox_certificate
from timbra.sandbox.ledger import InMemoryLedger

from .cfdi_factory import MEXICO_CITY, NOW, CfdiSpec, signed_cfdi
from .official_sat import (
    NS,
    comprobante_cadena,
    official_schema,
    signature_verifies,
    tfd_cadena,
    tfd_of,
)


def test_sandbox_is_a_pac_marked_as_sandbox(pac: SandboxPac) -> None:
    assert isinstance(pac, Pac)
    assert pac.is_sandbox and pac.name == "sandbox"


def test_stamped_xml_validates_against_the_official_sat_schemas(pac: SandboxPac) -> None:
    # given a CFDI sealed with the SAT test CSD
    # when the sandbox stamps it
    result = pac.stamp(signed_cfdi())
    # then the Comprobante with its TimbreFiscalDigital 1.1 passes the official XSDs
    schema = official_schema()
    assert schema.validate(etree.fromstring(result.stamped_xml)), schema.error_log
    assert tfd_of(result.stamped_xml) is not None


def test_sello_sat_verifies_with_the_sandbox_certificate_over_the_official_tfd_cadena(
    pac: SandboxPac, sandbox_home
) -> None:
    result = pac.stamp(signed_cfdi())
    tfd = tfd_of(result.stamped_xml)
    cert_der, _ = load_or_create_sandbox_certificate(sandbox_home, NOW)
    certificate = x509.load_der_x509_certificate(cert_der)

    cadena = tfd_cadena(tfd)
    assert cadena.startswith(f"||1.1|{result.uuid}|2026-11-20T10:00:00|SAT970701NN3|{SANDBOX_LEYENDA}|")
    assert signature_verifies(certificate, tfd.get("SelloSAT"), cadena)
    assert not signature_verifies(
        certificate, tfd.get("SelloSAT"), cadena.replace("2026-11-20", "2026-11-21")
    )


def test_original_sello_still_verifies_after_stamping(pac: SandboxPac) -> None:
    signed = signed_cfdi()
    stamped = etree.fromstring(pac.stamp(signed).stamped_xml)
    certificate = x509.load_der_x509_certificate(base64.b64decode(stamped.get("Certificado")))
    assert signature_verifies(certificate, stamped.get("Sello"), comprobante_cadena(stamped))
    assert comprobante_cadena(stamped) == comprobante_cadena(etree.fromstring(signed))
    assert tfd_of(etree.tostring(stamped)).get("SelloCFD") == stamped.get("Sello")


def test_stamp_result_carries_the_timbre_data(pac: SandboxPac, sandbox_home) -> None:
    result = pac.stamp(signed_cfdi())
    tfd = tfd_of(result.stamped_xml)

    assert result.uuid == tfd.get("UUID") == result.uuid.upper()
    assert uuid.UUID(result.uuid).version == 4
    assert result.fecha_timbrado == datetime(2026, 11, 20, 10, 0, tzinfo=MEXICO_CITY)
    assert tfd.get("FechaTimbrado") == "2026-11-20T10:00:00"
    assert result.rfc_prov_certif == tfd.get("RfcProvCertif") == "SAT970701NN3"
    assert tfd.get("Leyenda") == "Timbrado por el PAC de pruebas de Timbra: sin validez fiscal"
    cert_der, signer = load_or_create_sandbox_certificate(sandbox_home, NOW)
    assert result.no_certificado_sat == tfd.get("NoCertificadoSAT") == signer.certificate_number
    assert result.already_stamped is False


def test_same_bytes_twice_get_the_same_uuid_and_xml_marked_already_stamped(pac: SandboxPac) -> None:
    signed = signed_cfdi()
    first = pac.stamp(signed)
    second = pac.stamp(signed)
    assert second.uuid == first.uuid
    assert second.stamped_xml == first.stamped_xml
    assert (first.already_stamped, second.already_stamped) == (False, True)


def test_same_bytes_are_answered_even_after_the_72_hour_window(pac: SandboxPac, clock) -> None:
    # a retry after a long outage must still find the original stamp, like Finkok's 307
    signed = signed_cfdi()
    first = pac.stamp(signed)
    clock.now = NOW.replace(day=25)
    assert pac.stamp(signed).uuid == first.uuid


def test_different_cfdis_get_different_uuids(pac: SandboxPac, ledger: InMemoryLedger) -> None:
    one = pac.stamp(signed_cfdi(CfdiSpec(folio="1")))
    two = pac.stamp(signed_cfdi(CfdiSpec(folio="2")))
    assert one.uuid != two.uuid
    assert len(ledger) == 2


def test_recover_returns_the_original_stamp(pac: SandboxPac) -> None:
    signed = signed_cfdi()
    stamped = pac.stamp(signed)
    recovered = pac.recover(signed)
    assert recovered is not None
    assert (recovered.uuid, recovered.stamped_xml, recovered.already_stamped) == (
        stamped.uuid,
        stamped.stamped_xml,
        True,
    )


def test_recover_returns_none_for_bytes_never_stamped(pac: SandboxPac) -> None:
    assert pac.recover(signed_cfdi()) is None


def test_complemento_is_created_before_an_existing_addenda(pac: SandboxPac) -> None:
    # Addenda is outside the sello: appending it keeps the Sello valid, and the TFD goes before it.
    root = etree.fromstring(signed_cfdi())
    addenda = etree.SubElement(root, f"{{{NS['cfdi']}}}Addenda")
    etree.SubElement(addenda, "{urn:acme}Pedido", numero="PO-1")
    stamped = etree.fromstring(
        pac.stamp(etree.tostring(root, xml_declaration=True, encoding="UTF-8")).stamped_xml
    )
    assert [etree.QName(child).localname for child in stamped][-2:] == ["Complemento", "Addenda"]


def test_stamping_takes_a_few_milliseconds(pac: SandboxPac) -> None:
    pac.stamp(signed_cfdi(CfdiSpec(folio="warm-up")))
    documents = [signed_cfdi(CfdiSpec(folio=str(n))) for n in range(20)]
    started = time.process_time()
    for document in documents:
        pac.stamp(document)
    per_stamp_ms = (time.process_time() - started) / len(documents) * 1000
    assert per_stamp_ms < 50, per_stamp_ms  # measured ~3.5 ms; generous for a noisy CI host
