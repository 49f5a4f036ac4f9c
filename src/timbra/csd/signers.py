"""Process-wide cache of ready satcfdi ``Signer`` objects, one per (org, certificate).

Loading a SAT .key with OpenSSL's full RSA validation costs 30-70 ms; the sealing path runs for every
invoice, so it must not pay that. The key bytes handed to the loader were validated by ``inspect_csd``
at upload and kept under AES-GCM since (any change fails authentication), so rebuilding skips the RSA
consistency check (~0.5 ms) and the cache avoids even that after the first invoice.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import crypto
from satcfdi.models import Signer

from timbra.csd.certificate import load_certificate, load_private_key, no_certificado_of, public_keys_match

# Returns (certificate DER, encrypted key as uploaded (DER PKCS#8 or PEM), key password).
SignerLoader = Callable[[], tuple[bytes, bytes, str]]

DEFAULT_MAXSIZE = 256
DEFAULT_TTL_SECONDS = 3600.0  # Decrypted keys live in worker memory with a TTL (reliability.md G7).


class SignerCacheKey(NamedTuple):
    """Identifies one CSD of one org. The fingerprint makes a re-uploaded certificate a new entry."""

    org_id: int | str
    no_certificado: str
    fingerprint: str  # sha256 hex of the certificate DER (CsdInfo.fingerprint)


def build_signer(cer: bytes, key: bytes, password: str) -> Signer:
    """A satcfdi Signer from already-validated CSD bytes, without OpenSSL's costly RSA key check."""
    return _build(load_certificate(cer), key, password)


def _build(certificate: x509.Certificate, key: bytes, password: str) -> Signer:
    private_key = load_private_key(key, password, validate=False)
    if not public_keys_match(private_key, certificate):
        raise ValueError("CSD key does not match its certificate")
    # satcfdi's Signer takes a pyOpenSSL X509 and an already-loaded key; check=False because we just
    # compared the public keys ourselves.
    return Signer(crypto.X509.from_cryptography(certificate), private_key, check=False)


class _Entry(NamedTuple):
    signer: Signer
    loaded_at: float


class SignerCache:
    """Thread-safe LRU (bounded, with TTL) of Signers keyed by ``SignerCacheKey``."""

    def __init__(
        self,
        maxsize: int = DEFAULT_MAXSIZE,
        ttl_seconds: float | None = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[SignerCacheKey, _Entry] = OrderedDict()
        self._generations: dict[int | str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SignerCache(size={len(self)}, maxsize={self._maxsize})"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, cache_key: SignerCacheKey, loader: SignerLoader) -> Signer:
        """The cached Signer for ``cache_key``, building it from ``loader()`` on a miss."""
        with self._lock:
            cached = self._lookup(cache_key)
            generation = self._generations.get(cache_key.org_id, 0)
        if cached is not None:
            return cached
        # Build outside the lock: the loader reads the database and decrypts, and other orgs must not wait.
        signer = _load_checked(cache_key, loader)
        with self._lock:
            raced = self._lookup(cache_key)
            if raced is not None:
                return raced  # Another thread built it first: hand out one object per key.
            if self._generations.get(cache_key.org_id, 0) == generation:
                # Skip caching if invalidate() ran while we were loading: our bytes may be the old ones.
                self._store(cache_key, signer)
        return signer

    def invalidate(self, org_id: int | str) -> int:
        """Drop every Signer of ``org_id`` (new CSD uploaded, CSD deleted). Returns how many were dropped."""
        with self._lock:
            self._generations[org_id] = self._generations.get(org_id, 0) + 1
            doomed = [key for key in self._entries if key.org_id == org_id]
            for key in doomed:
                del self._entries[key]
        return len(doomed)

    def clear(self) -> None:
        """Drop every cached Signer."""
        with self._lock:
            self._entries.clear()
            self._generations.clear()

    def _lookup(self, cache_key: SignerCacheKey) -> Signer | None:
        entry = self._entries.get(cache_key)
        if entry is None:
            return None
        if self._ttl is not None and self._clock() - entry.loaded_at >= self._ttl:
            del self._entries[cache_key]
            return None
        self._entries.move_to_end(cache_key)
        return entry.signer

    def _store(self, cache_key: SignerCacheKey, signer: Signer) -> None:
        self._entries[cache_key] = _Entry(signer, self._clock())
        self._entries.move_to_end(cache_key)
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)


def _load_checked(cache_key: SignerCacheKey, loader: SignerLoader) -> Signer:
    cer, key, password = loader()
    certificate = load_certificate(cer)
    # The cache key names a certificate; refuse to file a signer under a key that does not describe it.
    if hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest() != cache_key.fingerprint:
        raise ValueError("loaded certificate does not match the cache key's fingerprint")
    if no_certificado_of(certificate) != cache_key.no_certificado:
        raise ValueError("loaded certificate does not match the cache key's no_certificado")
    return _build(certificate, key, password)


_CACHE = SignerCache()


def get_signer(cache_key: SignerCacheKey, loader: SignerLoader) -> Signer:
    """The process-wide cached Signer for ``cache_key``; ``loader`` runs only on a miss."""
    return _CACHE.get(cache_key, loader)


def invalidate(org_id: int | str) -> int:
    """Drop every cached Signer of ``org_id`` from the process-wide cache."""
    return _CACHE.invalidate(org_id)


def clear() -> None:
    """Empty the process-wide cache (tests, key rotation)."""
    _CACHE.clear()
