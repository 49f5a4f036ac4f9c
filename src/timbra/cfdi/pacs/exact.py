"""The sealed bytes, exactly: what every adapter hands to satcfdi, and what it reads back.

satcfdi's clients take a `CFDI` object and serialise it again (`cfdi.xml_bytes()`) before sending.
A re-serialisation may reorder attributes or namespaces: the Sello would still verify, but the PAC
would receive bytes Timbra never stored, and its "same bytes → same UUID" answer (Finkok's 307, SW's
customid) would no longer match what Timbra retries with. `exact_cfdi` gives satcfdi a CFDI whose
`xml_bytes()` returns the stored bytes untouched; satcfdi still reads Emisor, NoCertificado and Version
from it as usual.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from lxml import etree
from satcfdi.cfdi import CFDI

from timbra.cfdi.pac import PacOutcomeUnknown, PacRejected, StampResult
from timbra.cfdi.sandbox_pac import stamp_result_from_xml


class ExactBytesCFDI(CFDI):
    """A satcfdi CFDI that serialises to the bytes it was read from."""

    signed_xml: bytes = b""

    def xml_bytes(self, *args: Any, **kwargs: Any) -> bytes:  # noqa: ARG002 - same signature as CFDI
        return self.signed_xml


def exact_cfdi(signed_xml: bytes) -> ExactBytesCFDI:
    """Wrap the sealed bytes for satcfdi; a CFDI that is not even XML is rejected here (301)."""
    try:
        parsed = CFDI.from_string(signed_xml)
    except (etree.XMLSyntaxError, KeyError, ValueError) as exc:
        raise PacRejected("301", "El XML no está bien formado; no se envió al PAC.") from exc
    exact = ExactBytesCFDI(parsed)
    exact.tag = parsed.tag
    exact.signed_xml = signed_xml
    return exact


def idempotency_key(signed_xml: bytes) -> str:
    """The key a PAC dedupes on (SW `customid`, Diverza `ref-id`): the SHA-256 of the exact bytes.

    The same bytes always get the same key, so a retry is recognised; new bytes (a re-seal after the
    PAC confirmed it has no stamp) get a new one. 64 characters, under SW's limit of 100."""
    return hashlib.sha256(signed_xml).hexdigest()


def stamped_result(stamped_xml: bytes | str, *, already_stamped: bool, pac_name: str) -> StampResult:
    """The `StampResult` of a stamped CFDI a PAC returned (plain XML, or base64 of it).

    An answer without a readable TimbreFiscalDigital is not a stamp we can keep: the PAC may hold one,
    so the outcome is unknown and the invoice is recovered later with the same bytes."""
    data = _xml_bytes(stamped_xml)
    try:
        result = stamp_result_from_xml(data, already_stamped=already_stamped)
    except (PacRejected, ValueError) as exc:
        raise PacOutcomeUnknown(f"{pac_name} devolvió un CFDI sin TimbreFiscalDigital legible.") from exc
    return StampResult(
        uuid=result.uuid,
        stamped_xml=result.stamped_xml,
        fecha_timbrado=result.fecha_timbrado,
        no_certificado_sat=result.no_certificado_sat,
        rfc_prov_certif=result.rfc_prov_certif,
        already_stamped=already_stamped,
        pac_name=pac_name,
    )


def _xml_bytes(value: bytes | str) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    if data.lstrip()[:1] == b"<":
        return data
    try:  # SW's `/b64` routes (and possibly its v4 default) answer base64
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return data
