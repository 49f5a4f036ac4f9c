"""Timbra's built-in sandbox PAC: behaves like a real PAC's test service, honestly.

It validates like a PAC (`sandbox_checks`: XSD, Sello, 72-hour window, CSD validity, emisor and
receptor against the SAT test taxpayers), then adds a TimbreFiscalDigital 1.1 signed with its OWN
certificate, generated once per TIMBRA_HOME. The Leyenda says the stamp has no fiscal validity.

Idempotency is a PAC's, not a client's: the same signed bytes always get the same UUID and the same
stamped XML (`already_stamped=True`, Finkok's "307"). The ledger insert, unique on the SHA-256 of the
exact bytes, is the PAC's commit: a stamp exists once it is in the ledger, before the answer leaves,
so an answer lost on the way back (F2/F3 in reliability.md §2.1) is found again by `recover`.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
import threading
import uuid as uuid_module
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_der_private_key,
    load_pem_private_key,
)
from lxml import etree
from OpenSSL import crypto
from satcfdi.create.cfd.tfd11 import TimbreFiscalDigital
from satcfdi.models import Signer

from timbra.cfdi import sandbox_checks as checks
from timbra.cfdi.pac import PacRejected, StampResult
from timbra.csd.testca import mint_csd

SANDBOX_PAC_RFC = "SAT970701NN3"  # SAT's own RFC, as satcfdi's tests and SAT's test PACs use
SANDBOX_PAC_NOMBRE = "TIMBRA SANDBOX PAC — SIN VALIDEZ FISCAL"
SANDBOX_LEYENDA = "Timbrado por el PAC de pruebas de Timbra: sin validez fiscal"
SANDBOX_CERT_VALIDITY = timedelta(days=3652)
_CERT_DIR = "sandbox-pac"

Clock = Callable[[], datetime]
# The compiled XSLT and XMLSchema are shared process-wide and the signer is loaded lazily: one stamp
# computes at a time (a few ms); the ledger insert, the part that must be concurrent-safe, is outside.
_COMPUTE_LOCK = threading.Lock()


# --- ledger -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerEntry:
    """One stamp the sandbox has issued, keyed by the SHA-256 of the exact signed bytes."""

    xml_sha256: str
    uuid: str
    stamped_xml: bytes
    emisor_rfc: str
    created_at: datetime


class StampLedger(Protocol):
    """Where the sandbox commits its stamps (`timbra.sandbox.ledger`: Django or in-memory)."""

    def get(self, xml_sha256: str) -> LedgerEntry | None:
        """The entry for these bytes, or None."""
        ...

    def add(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        """Insert unless an entry for `entry.xml_sha256` exists; return (stored entry, created).

        Two concurrent adds for the same hash must both return the single stored entry.
        """
        ...


# --- the sandbox's own certificate ----------------------------------------------------------------------


def load_or_create_sandbox_certificate(home: Path, now: datetime) -> tuple[bytes, Signer]:
    """The sandbox PAC's certificate (DER) and signer, created on first use under `home`.

    Files: `home/sandbox-pac/cert.der` and `key.pem` (0600, unencrypted: it signs nothing of value).
    The certificate is SAT-shaped (OU "PAC" + RFC, 20-digit serial) so satcfdi reads RfcProvCertif
    and NoCertificadoSAT from it, valid 10 years from `now`, and its name says it has no fiscal value.
    """
    directory = home / _CERT_DIR
    if not (directory / "cert.der").exists():
        _create_certificate(home, now)
    cert_path = directory / "cert.der"
    return _load_certificate(str(cert_path), cert_path.stat().st_mtime_ns)


def sandbox_certificate_pem(home: Path) -> bytes:
    """The sandbox certificate in PEM, for people who want to verify SelloSAT themselves.

    Raises FileNotFoundError until the sandbox has created it (on its first stamp).
    """
    der = (home / _CERT_DIR / "cert.der").read_bytes()
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)


def _create_certificate(home: Path, now: datetime) -> None:
    home.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    minted = mint_csd(
        SANDBOX_PAC_RFC,
        SANDBOX_PAC_NOMBRE,
        kind="pac",
        # A day of slack so a clock a little behind still finds the certificate valid.
        valid_from=now - timedelta(days=1),
        valid_to=now + SANDBOX_CERT_VALIDITY,
        password=password,
        no_certificado="99999" + f"{secrets.randbelow(10**15):015d}",
    )
    key = load_der_private_key(minted.key, password.encode())
    staging = Path(tempfile.mkdtemp(prefix=".sandbox-pac-", dir=home))
    (staging / "cert.der").write_bytes(minted.cer)
    fd = os.open(staging / "key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    try:
        # Atomic publish: two processes starting together both mint, only one directory wins.
        os.rename(staging, home / _CERT_DIR)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


@lru_cache(maxsize=8)
def _load_certificate(cert_path: str, _mtime_ns: int) -> tuple[bytes, Signer]:
    # Cached per file version: loading an RSA key with full validation costs tens of milliseconds.
    cert_der = Path(cert_path).read_bytes()
    key = load_pem_private_key((Path(cert_path).parent / "key.pem").read_bytes(), password=None)
    signer = Signer(crypto.load_certificate(crypto.FILETYPE_ASN1, cert_der), key)
    return cert_der, signer


# --- the PAC -----------------------------------------------------------------------------------------------


class SandboxPac:
    """The built-in PAC. Implements `timbra.cfdi.pac.Pac`; stamps have no fiscal validity.

    `signer_provider` returns the sandbox's signer (called once, lazily); `taxpayers` is the SAT test
    registry (`sandbox_checks.load_test_taxpayers`); `clock` returns an aware "now";
    `extra_emisores` registers more issuers (e.g. tests with minted CSDs) for the emisor check only.
    """

    name = "sandbox"
    is_sandbox = True

    def __init__(
        self,
        signer_provider: Callable[[], Signer],
        ledger: StampLedger,
        taxpayers: Mapping[str, checks.Taxpayer],
        clock: Clock,
        *,
        extra_emisores: Iterable[checks.Taxpayer] = (),
        emisor_lookup: Callable[[str], checks.Taxpayer | None] | None = None,
    ) -> None:
        self._signer_provider = signer_provider
        self._signer: Signer | None = None
        self._ledger = ledger
        self._receptores = dict(taxpayers)
        self._emisores = _EmisorRegistry({**self._receptores, **{t.rfc: t for t in extra_emisores}}, emisor_lookup)
        self._clock = clock

    @classmethod
    def for_home(
        cls,
        home: Path,
        ledger: StampLedger,
        taxpayers: Mapping[str, checks.Taxpayer],
        clock: Clock,
        *,
        extra_emisores: Iterable[checks.Taxpayer] = (),
        emisor_lookup: Callable[[str], checks.Taxpayer | None] | None = None,
    ) -> SandboxPac:
        """A sandbox signing with the certificate kept under `home` (TIMBRA_HOME)."""
        return cls(
            lambda: load_or_create_sandbox_certificate(home, clock())[1],
            ledger,
            taxpayers,
            clock,
            extra_emisores=extra_emisores,
            emisor_lookup=emisor_lookup,
        )

    def check_connection(self) -> None:
        """`PacConnectionCheck`: the sandbox is built in, so it is always reachable."""

    def stamp(self, signed_xml: bytes) -> StampResult:
        """Validate and stamp; the same bytes always get the same UUID (`already_stamped=True`).

        Insert first, read only when that fails: almost every call brings new bytes, so a lookup
        before the insert would be a wasted query. A repeat is caught by the ledger's unique key
        (its freshly minted UUID is dropped), or, if the bytes no longer pass (the 72-hour window
        has passed since, like Finkok's 307), by the lookup before the rejection goes out."""
        digest = hashlib.sha256(signed_xml).hexdigest()
        now = self._now()
        try:
            with _COMPUTE_LOCK:
                root = checks.parse_signed_xml(signed_xml)
                self._validate(root, now)
                stamped_xml, uuid, tfd = self._add_timbre(root, now)
        except Exception:
            if (entry := self._ledger.get(digest)) is not None:
                return stamp_result_from_xml(entry.stamped_xml, already_stamped=True)
            raise
        entry = LedgerEntry(
            xml_sha256=digest,
            uuid=uuid,
            stamped_xml=stamped_xml,
            emisor_rfc=root.find(f"{{{checks.NS_CFDI}}}Emisor").get("Rfc", ""),
            created_at=now,
        )
        stored, created = self._ledger.add(entry)
        if created:  # our own bytes: read the timbre we just built instead of parsing them back
            return _stamp_result(tfd, stamped_xml, already_stamped=False)
        return stamp_result_from_xml(stored.stamped_xml, already_stamped=True)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        """The stamp for exactly these bytes, or None if the sandbox never stamped them."""
        entry = self._ledger.get(hashlib.sha256(signed_xml).hexdigest())
        return None if entry is None else stamp_result_from_xml(entry.stamped_xml, already_stamped=True)

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("SandboxPac clock must return an aware datetime")
        return now

    def _validate(self, root: etree._Element, now: datetime) -> None:
        # Order of a real PAC: structure, seal, dates, then the SAT registry.
        checks.validate_xsd(root)
        if checks.read_tfd(root) is not None:
            raise PacRejected("307", "El CFDI contiene un timbre previo.")
        certificate = checks.verify_sello(root)
        fecha = checks.fecha_emision(root)
        checks.check_certificate_validity(certificate, fecha)
        checks.check_stamping_window(fecha, now)
        checks.check_emisor(root, self._emisores)
        checks.check_receptor(root, self._receptores)
        checks.check_informacion_global(root)

    def _add_timbre(self, root: etree._Element, now: datetime) -> tuple[bytes, str, etree._Element]:
        uuid = str(uuid_module.uuid4()).upper()
        tfd = TimbreFiscalDigital(
            proveedor=self._signer_or_load(),
            uuid=uuid,
            # TFD 1.1: FechaTimbrado is Mexico City time, no offset, whole seconds.
            fecha_timbrado=now.astimezone(checks.MEXICO_CITY).replace(tzinfo=None, microsecond=0),
            sello_cfd=root.get("Sello"),
            leyenda=SANDBOX_LEYENDA,
        )
        timbre = tfd.to_xml()
        _complemento(root).append(timbre)
        return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8"), uuid, timbre

    def _signer_or_load(self) -> Signer:
        if self._signer is None:
            self._signer = self._signer_provider()
        return self._signer


class _EmisorRegistry(Mapping[str, checks.Taxpayer]):
    """The issuers the sandbox accepts: the SAT test registry first, then `lookup` (the issuers
    registered in this Timbra, so a real business can try test mode with its own RFC and CSD;
    the sandbox cannot ask the SAT's registry, and its stamps say they have no fiscal validity)."""

    def __init__(self, known: dict[str, checks.Taxpayer],
                 lookup: Callable[[str], checks.Taxpayer | None] | None) -> None:
        self._known, self._lookup = known, lookup

    def __getitem__(self, rfc: str) -> checks.Taxpayer:
        found = self._known.get(rfc) or (self._lookup(rfc) if self._lookup else None)
        if found is None:
            raise KeyError(rfc)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def _complemento(root: etree._Element) -> etree._Element:
    complemento = root.find(f"{{{checks.NS_CFDI}}}Complemento")
    if complemento is None:
        complemento = etree.Element(f"{{{checks.NS_CFDI}}}Complemento")
        addenda = root.find(f"{{{checks.NS_CFDI}}}Addenda")
        # cfdv40.xsd: Complemento comes last, before the optional Addenda.
        if addenda is not None:
            addenda.addprevious(complemento)
        else:
            root.append(complemento)
    return complemento


def stamp_result_from_xml(stamped_xml: bytes, *, already_stamped: bool) -> StampResult:
    """Read the TimbreFiscalDigital of a stamped CFDI into a `StampResult`."""
    tfd = checks.read_tfd(checks.parse_signed_xml(stamped_xml))
    if tfd is None:
        raise ValueError("stamped XML has no TimbreFiscalDigital")
    return _stamp_result(tfd, stamped_xml, already_stamped=already_stamped)


def _stamp_result(tfd: etree._Element, stamped_xml: bytes, *, already_stamped: bool) -> StampResult:
    fecha = datetime.fromisoformat(tfd.get("FechaTimbrado", ""))
    return StampResult(
        uuid=tfd.get("UUID", "").upper(),
        stamped_xml=stamped_xml,
        fecha_timbrado=fecha.replace(tzinfo=checks.MEXICO_CITY),
        no_certificado_sat=tfd.get("NoCertificadoSAT", ""),
        rfc_prov_certif=tfd.get("RfcProvCertif", ""),
        already_stamped=already_stamped,
    )
