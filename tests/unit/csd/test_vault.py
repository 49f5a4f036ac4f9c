from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from timbra.csd.vault import MasterKeyError, Vault, VaultError, csd_aad, load_master_key

MASTER_KEY = bytes(range(32))
AAD = csd_aad(7, "30001000000500003416")


def test_a_secret_round_trips_with_the_same_org_and_certificate() -> None:
    vault = Vault(MASTER_KEY)

    blob = vault.encrypt(b"llave privada", aad=AAD)

    assert vault.decrypt(blob, aad=csd_aad(7, "30001000000500003416")) == b"llave privada"


def test_the_blob_is_versioned_nonced_and_never_contains_the_plaintext() -> None:
    vault = Vault(MASTER_KEY)

    first, second = vault.encrypt(b"12345678a", aad=AAD), vault.encrypt(b"12345678a", aad=AAD)

    assert first[0] == 1
    assert first != second  # fresh nonce every time
    assert len(first) == 1 + 12 + len(b"12345678a") + 16
    assert b"12345678a" not in first


def test_a_tampered_blob_fails_to_decrypt() -> None:
    vault = Vault(MASTER_KEY)
    blob = bytearray(vault.encrypt(b"llave privada", aad=AAD))
    blob[-1] ^= 0x01

    with pytest.raises(VaultError):
        vault.decrypt(bytes(blob), aad=AAD)


@pytest.mark.parametrize("aad", [csd_aad(8, "30001000000500003416"), csd_aad(7, "30001000000500003417")])
def test_a_blob_moved_to_another_org_or_certificate_fails_to_decrypt(aad: bytes) -> None:
    vault = Vault(MASTER_KEY)
    blob = vault.encrypt(b"llave privada", aad=AAD)

    with pytest.raises(VaultError):
        vault.decrypt(blob, aad=aad)


def test_another_master_key_cannot_decrypt() -> None:
    blob = Vault(MASTER_KEY).encrypt(b"llave privada", aad=AAD)

    with pytest.raises(VaultError):
        Vault(os.urandom(32)).decrypt(blob, aad=AAD)


def test_an_unknown_version_or_truncated_blob_is_refused() -> None:
    vault = Vault(MASTER_KEY)
    blob = vault.encrypt(b"x", aad=AAD)

    with pytest.raises(VaultError):
        vault.decrypt(b"\x02" + blob[1:], aad=AAD)
    with pytest.raises(VaultError):
        vault.decrypt(blob[:20], aad=AAD)


def test_a_master_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(ValueError):
        Vault(b"short")


def test_the_vault_repr_never_shows_the_master_key() -> None:
    vault = Vault(MASTER_KEY)

    for text in (repr(vault), str(vault)):
        assert "redacted" in text
        assert MASTER_KEY.hex() not in text and base64.b64encode(MASTER_KEY).decode() not in text
        assert repr(MASTER_KEY) not in text


def test_the_master_key_comes_from_the_environment_when_given(tmp_path: Path) -> None:
    key = load_master_key(base64.b64encode(MASTER_KEY).decode(), tmp_path)

    assert key == MASTER_KEY
    assert not (tmp_path / "master.key").exists()


def test_a_bad_environment_master_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    bad = base64.b64encode(b"only sixteen byt").decode()

    with pytest.raises(MasterKeyError) as caught:
        load_master_key(bad, tmp_path)

    assert "TIMBRA_MASTER_KEY" in str(caught.value) and bad not in str(caught.value)


def test_the_master_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    home = tmp_path / "timbra-home"

    first = load_master_key(None, home)
    second = load_master_key("", home)

    path = home / "master.key"
    assert len(first) == 32 and first == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in home.iterdir()] == ["master.key"]  # no temp file left behind


def test_a_group_or_world_readable_master_key_file_is_refused(tmp_path: Path) -> None:
    load_master_key(None, tmp_path)
    path = tmp_path / "master.key"
    path.chmod(0o640)

    with pytest.raises(MasterKeyError) as caught:
        load_master_key(None, tmp_path)

    assert "chmod 600" in str(caught.value)


def test_a_symlinked_master_key_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.key"
    real.write_bytes(base64.b64encode(MASTER_KEY))
    real.chmod(0o600)
    home = tmp_path / "home"
    home.mkdir()
    (home / "master.key").symlink_to(real)

    with pytest.raises(MasterKeyError):
        load_master_key(None, home)


def test_a_corrupt_master_key_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not base64 at all!")
    os.close(fd)

    with pytest.raises(MasterKeyError) as caught:
        load_master_key(None, tmp_path)

    assert str(path) in str(caught.value)
