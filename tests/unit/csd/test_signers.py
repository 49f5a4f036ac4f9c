from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from timbra.csd import signers
from timbra.csd.signers import SignerCache, SignerCacheKey, build_signer, get_signer, invalidate
from timbra.csd.testca import MintedCsd

from .conftest import SatCsd


def _key_for(org_id: int, cer: bytes, no_certificado: str) -> SignerCacheKey:
    return SignerCacheKey(org_id, no_certificado, hashlib.sha256(cer).hexdigest())


class CountingLoader:
    """A fake for the code that reads the org's CSD row and decrypts it from the vault."""

    def __init__(self, cer: bytes, key: bytes, password: str) -> None:
        self.material = (cer, key, password)
        self.calls = 0

    def __call__(self) -> tuple[bytes, bytes, str]:
        self.calls += 1
        return self.material


@pytest.fixture(autouse=True)
def _empty_process_cache() -> Iterator[None]:
    signers.clear()
    yield
    signers.clear()


@pytest.fixture
def sat_loader(sat_csd: SatCsd) -> CountingLoader:
    return CountingLoader(sat_csd.cer, sat_csd.key, sat_csd.password)


@pytest.fixture
def sat_key(sat_csd: SatCsd) -> SignerCacheKey:
    return _key_for(1, sat_csd.cer, sat_csd.no_certificado)


def test_the_cache_returns_the_same_signer_and_loads_once(sat_key, sat_loader) -> None:
    first = get_signer(sat_key, sat_loader)
    second = get_signer(sat_key, sat_loader)

    assert first is second
    assert sat_loader.calls == 1
    assert first.certificate_number == "30001000000500003416"


def test_the_cached_signer_signs_verifiably(sat_key, sat_loader, sat_csd: SatCsd) -> None:
    signer = get_signer(sat_key, sat_loader)

    signature = base64.b64decode(signer.sign_sha256(b"||4.0|A|1|cadena original||"))

    public_key = x509.load_der_x509_certificate(sat_csd.cer).public_key()
    public_key.verify(signature, b"||4.0|A|1|cadena original||", padding.PKCS1v15(), hashes.SHA256())


def test_invalidate_drops_only_that_orgs_signers(sat_csd: SatCsd, sat_loader) -> None:
    org_1, org_2 = (
        _key_for(1, sat_csd.cer, sat_csd.no_certificado),
        _key_for(2, sat_csd.cer, sat_csd.no_certificado),
    )
    before_1, before_2 = get_signer(org_1, sat_loader), get_signer(org_2, sat_loader)

    assert invalidate(1) == 1

    assert get_signer(org_1, sat_loader) is not before_1
    assert get_signer(org_2, sat_loader) is before_2
    assert sat_loader.calls == 3


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(sat_csd: SatCsd, sat_loader) -> None:
    cache = SignerCache(maxsize=2)
    keys = [_key_for(org, sat_csd.cer, sat_csd.no_certificado) for org in (1, 2, 3)]
    oldest = cache.get(keys[0], sat_loader)
    cache.get(keys[1], sat_loader)
    cache.get(keys[0], sat_loader)  # org 1 is now the most recently used

    cache.get(keys[2], sat_loader)  # evicts org 2

    assert len(cache) == 2
    assert cache.get(keys[0], sat_loader) is oldest
    assert sat_loader.calls == 3
    cache.get(keys[1], sat_loader)
    assert sat_loader.calls == 4


def test_a_signer_older_than_the_ttl_is_reloaded(sat_key, sat_loader) -> None:
    now = [1000.0]
    cache = SignerCache(ttl_seconds=60, clock=lambda: now[0])
    first = cache.get(sat_key, sat_loader)

    now[0] += 59
    assert cache.get(sat_key, sat_loader) is first
    now[0] += 1
    assert cache.get(sat_key, sat_loader) is not first
    assert sat_loader.calls == 2


def test_a_reuploaded_certificate_is_a_different_cache_entry(sat_csd: SatCsd, sat_loader, minted_csd) -> None:
    old = get_signer(_key_for(1, sat_csd.cer, sat_csd.no_certificado), sat_loader)
    new_loader = CountingLoader(minted_csd.cer, minted_csd.key, minted_csd.password)

    new = get_signer(_key_for(1, minted_csd.cer, minted_csd.no_certificado), new_loader)

    assert new is not old
    assert new.certificate_number == minted_csd.no_certificado


def test_material_that_does_not_match_the_cache_key_is_refused(
    sat_csd: SatCsd, minted_csd: MintedCsd
) -> None:
    wrong = CountingLoader(minted_csd.cer, minted_csd.key, minted_csd.password)

    with pytest.raises(ValueError):
        get_signer(_key_for(1, sat_csd.cer, sat_csd.no_certificado), wrong)


def test_a_key_that_is_not_the_certificates_is_refused(sat_csd: SatCsd, minted_csd: MintedCsd) -> None:
    with pytest.raises(ValueError):
        build_signer(sat_csd.cer, minted_csd.key, minted_csd.password)


def test_a_signer_loaded_while_its_org_is_invalidated_is_not_cached(sat_key, sat_csd: SatCsd) -> None:
    cache = SignerCache()

    def loader_racing_an_upload() -> tuple[bytes, bytes, str]:
        cache.invalidate(sat_key.org_id)  # a new CSD is saved while this worker is loading the old one
        return sat_csd.cer, sat_csd.key, sat_csd.password

    cache.get(sat_key, loader_racing_an_upload)

    assert len(cache) == 0


def test_concurrent_misses_all_get_one_signer(sat_key, sat_loader) -> None:
    cache = SignerCache()
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get(sat_key, sat_loader))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert all(result is results[0] for result in results)
    assert cache.get(sat_key, sat_loader) is results[0]


def test_the_cache_repr_shows_no_secrets(sat_key, sat_loader, sat_csd: SatCsd) -> None:
    cache = SignerCache()
    cache.get(sat_key, sat_loader)

    assert sat_csd.password not in repr(cache)
    assert repr(cache) == "SignerCache(size=1, maxsize=256)"
