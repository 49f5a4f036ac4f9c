"""Encryption at rest for CSD keys and passwords (AES-256-GCM envelope bound to org and certificate).

Blob layout: ``version (1 byte) | nonce (12 bytes) | ciphertext + GCM tag (16 bytes)``. The associated
data is the version byte plus ``csd_aad(org_id, no_certificado)``, so a blob copied to another org or
another certificate's row fails authentication instead of decrypting (reliability.md, G7).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
NONCE_SIZE = 12  # NIST SP 800-38D: 96-bit random nonces; fine for far fewer than 2**32 messages per key.
KEY_SIZE = 32
MASTER_KEY_FILENAME = "master.key"
_HEADER = NONCE_SIZE + 1
_TAG_SIZE = 16


class VaultError(Exception):
    """A blob could not be decrypted (tampered, wrong org/certificate, or another master key)."""


class MasterKeyError(Exception):
    """The master key could not be loaded; the message (Spanish) tells the operator what to fix."""


def csd_aad(org_id: int | str, no_certificado: str) -> bytes:
    """Associated data that binds a CSD secret to its org and certificate."""
    return f"{org_id}:{no_certificado}".encode()


class Vault:
    """AES-GCM envelope encryption with a 32-byte master key. Holds no key material in its repr."""

    __slots__ = ("_aead",)

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_SIZE:
            raise ValueError(f"master key must be {KEY_SIZE} bytes")
        self._aead = AESGCM(master_key)

    def __repr__(self) -> str:
        return "Vault(master_key=<redacted>)"

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """Encrypt ``plaintext`` bound to ``aad``; returns version + nonce + ciphertext."""
        version = bytes([VERSION])
        nonce = os.urandom(NONCE_SIZE)
        return version + nonce + self._aead.encrypt(nonce, plaintext, version + aad)

    def decrypt(self, blob: bytes, *, aad: bytes) -> bytes:
        """Decrypt a blob made by ``encrypt`` with the same ``aad``; raises ``VaultError`` otherwise."""
        if len(blob) < _HEADER + _TAG_SIZE:
            raise VaultError("blob too short")
        if blob[0] != VERSION:
            raise VaultError(f"unsupported vault blob version {blob[0]}")
        version, nonce, ciphertext = blob[:1], blob[1:_HEADER], blob[_HEADER:]
        try:
            return self._aead.decrypt(nonce, ciphertext, version + aad)
        except InvalidTag as exc:
            # Never include the blob or the aad's secret neighbours in the message; the aad is not secret.
            raise VaultError(
                "blob failed authentication (tampered, wrong org/certificate or master key)"
            ) from exc


def load_master_key(env_value: str | None, home: Path) -> bytes:
    """The 32-byte master key: from TIMBRA_MASTER_KEY (base64) if set, else ``home/master.key``.

    The file is created on first use (mode 0600, atomically) and refused later if the group or others
    can read it.
    """
    if env_value is not None and env_value.strip():
        return _decode(env_value, source="TIMBRA_MASTER_KEY")
    path = home / MASTER_KEY_FILENAME
    if not path.exists():
        _create_key_file(path)
    return _read_key_file(path)


def _decode(text: str, *, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_SIZE:
        raise MasterKeyError(
            f"La llave maestra en {source} no es válida: debe ser el base64 de {KEY_SIZE} bytes aleatorios "
            '(por ejemplo: python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())").'
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new key to a private temp file, then link it into place (atomic; never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64encode(os.urandom(KEY_SIZE)) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # Another process created it first: use theirs, so every process shares one key.
    finally:
        tmp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> bytes:
    try:
        # O_NOFOLLOW: a symlink planted in TIMBRA_HOME must not redirect us to another file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise MasterKeyError(f"No se pudo leer la llave maestra {path}: {exc.strerror}.") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise MasterKeyError(f"{path} no es un archivo regular; no se usará como llave maestra.")
        if info.st_mode & 0o077:
            raise MasterKeyError(
                f"El archivo de la llave maestra {path} tiene permisos {stat.filemode(info.st_mode)}: "
                f"otros usuarios pueden leerlo. Corrígelo con: chmod 600 {path}"
            )
        text = handle.read().decode("ascii", errors="replace")
    return _decode(text, source=str(path))
