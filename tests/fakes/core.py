"""What every fake PAC does behind its wire protocol: validate, stamp once, cancel.

It validates and stamps exactly like Timbra's sandbox PAC (`timbra.cfdi.sandbox_checks`: well-formed
XML, SAT's XSD, the Sello against the embedded certificate, the CSD's validity, the 72-hour window,
the SAT test taxpayers) and adds a real TimbreFiscalDigital 1.1, signed with a certificate generated
under `home`. The same bytes always get the same UUID (`already_stamped`), which each fake answers in
its PAC's own words (Finkok's Incidencia 307, SW's "307." error, Diverza's repeated RefID).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from lxml import etree

import timbra.sandbox
from timbra.cfdi.pac import StampResult
from timbra.cfdi.sandbox_checks import (
    MEXICO_CITY,
    Taxpayer,
    compiled_cadena_xslt,
    compiled_schema,
    load_test_taxpayers,
)
from timbra.cfdi.sandbox_pac import SandboxPac, load_or_create_sandbox_certificate
from timbra.sandbox.ledger import InMemoryLedger

TAXPAYERS = Path(timbra.sandbox.__file__).resolve().parent / "data" / "test-taxpayers.csv"
CANCELACION_NS = "http://cancelacfd.sat.gob.mx"


def _now() -> datetime:
    return datetime.now(MEXICO_CITY)


class StampingCore:
    """The fake PAC's ledger and rules; thread-safe (the servers are threaded)."""

    def __init__(self, home: Path, *, clock: Callable[[], datetime] = _now,
                 extra_emisores: Iterable[Taxpayer] = ()) -> None:
        self.clock = clock
        self.ledger = InMemoryLedger()
        self._pac = SandboxPac.for_home(home, self.ledger, load_test_taxpayers(TAXPAYERS), clock,
                                        extra_emisores=extra_emisores)
        self._lock = threading.Lock()
        self.stamps: dict[str, bytes] = {}  # UUID → stamped XML
        self.cancellations: dict[str, int] = {}  # UUID → cancellation requests received
        # Warm up (certificate, XSD, XSLT) so the first stamp answers as fast as the others: the
        # tests' read timeouts are short on purpose.
        load_or_create_sandbox_certificate(home, clock())
        compiled_schema()
        compiled_cadena_xslt()

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Validate and stamp (raises `PacRejected`); a repeat returns the original, already_stamped."""
        result = self._pac.stamp(signed_xml)
        with self._lock:
            self.stamps.setdefault(result.uuid, result.stamped_xml)
        return result

    def find(self, signed_xml: bytes) -> StampResult | None:
        return self._pac.recover(signed_xml)

    def cancel(self, uuid: str) -> str:
        """Per-UUID answer of SAT's cancellation service: 201 first time, 202 after, 205 unknown."""
        uuid = uuid.upper()
        with self._lock:
            if uuid not in self.stamps:
                return "205"
            self.cancellations[uuid] = self.cancellations.get(uuid, 0) + 1
            return "201" if self.cancellations[uuid] == 1 else "202"

    @property
    def stamp_count(self) -> int:
        return len(self.ledger)


def read_cancelacion(xml: bytes) -> tuple[str, str, str]:
    """(RfcEmisor, UUID, Motivo) of a signed `Cancelacion` (one folio, as Timbra sends them)."""
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    if root.tag != f"{{{CANCELACION_NS}}}Cancelacion":
        raise ValueError("not a Cancelacion")
    folio = root.find(f".//{{{CANCELACION_NS}}}Folio")
    if folio is None or root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue") is None:
        raise ValueError("Cancelacion without Folio or Signature")
    return root.get("RfcEmisor", ""), folio.get("UUID", ""), folio.get("Motivo", "")


def acuse(rfc_emisor: str, uuid: str, code: str, fecha: datetime) -> str:
    """A SAT cancellation acknowledgement shaped like the one PACs relay (reference §5.2)."""
    stamp = fecha.astimezone(MEXICO_CITY).strftime("%Y-%m-%dT%H:%M:%S")
    return (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        '<CancelaCFDResponse xmlns="http://cancelacfd.sat.gob.mx">'
        f'<CancelaCFDResult Fecha="{stamp}" RfcEmisor="{rfc_emisor}">'
        f"<Folios><UUID>{uuid}</UUID><EstatusUUID>{code}</EstatusUUID></Folios>"
        '<Signature Id="SelloSAT" xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>ZmFrZQ==</SignatureValue></Signature>'
        "</CancelaCFDResult></CancelaCFDResponse></s:Body></s:Envelope>"
    )
