"""The org's CSD: upload (verify, encrypt), pick the usable one, hand out a cached signer.

Keys and passwords are decrypted only here, right before sealing, and the ready signer
is cached per process so the 45–70 ms RSA key validation runs once at upload, not per
invoice (reference/reliability.md §4.3).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.db import transaction

from timbra.csd import signers
from timbra.csd.certificate import CsdInfo, inspect_csd
from timbra.csd.vault import Vault, csd_aad, load_master_key
from timbra.orgs.audit import record_change
from timbra.orgs.models import Csd, Org


class NoUsableCsd(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@cache
def vault() -> Vault:
    import os

    return Vault(load_master_key(os.environ.get("TIMBRA_MASTER_KEY"), settings.TIMBRA_HOME))


def upload_csd(org: Org, *, cer: bytes, key: bytes, password: str, as_of: datetime,
               actor: str = "sistema", source: str = "job") -> Csd:
    """Verify a .cer/.key/password triple for `org` and store it encrypted as the active CSD.

    Raises timbra.csd.certificate.CsdError (stable code + Spanish message) when the files
    are not a valid, current CSD of this org's RFC."""
    info: CsdInfo = inspect_csd(cer, key, password, expected_rfc=org.rfc, as_of=as_of)
    aad = csd_aad(org.pk, info.no_certificado)
    with transaction.atomic():
        Csd.objects.filter(org=org).update(active=False)
        csd, _ = Csd.objects.update_or_create(
            org=org,
            no_certificado=info.no_certificado,
            defaults={
                "rfc": info.rfc,
                "valid_from": info.valid_from,
                "valid_to": info.valid_to,
                "fingerprint": info.fingerprint,
                "certificate_der": info.certificate_der,
                "key_encrypted": vault().encrypt(key, aad=aad),
                "password_encrypted": vault().encrypt(password.encode(), aad=aad),
                "active": True,
                "uploaded_at": as_of,
            },
        )
        # The certificate's number and validity only: never the key or its password.
        record_change(org, "csd_uploaded", f"CSD cargado: certificado {info.no_certificado}.", object_type="csd",
                      object_id=csd.pk, before={}, after={"no_certificado": info.no_certificado,
                                                          "valid_to": info.valid_to.isoformat()},
                      actor=actor, source=source, as_of=as_of)
    signers.invalidate(org.pk)
    return csd


def active_csd(org: Org, *, as_of: datetime) -> Csd:
    """The active CSD, if it is valid at `as_of`."""
    csd = Csd.objects.filter(org=org, active=True).order_by("-uploaded_at").first()
    if csd is None:
        raise NoUsableCsd("csd_missing", "El emisor no tiene un certificado de sello digital (CSD) cargado.")
    if as_of >= csd.valid_to:
        raise NoUsableCsd(
            "csd_expired",
            f"El CSD {csd.no_certificado} venció el {csd.valid_to:%d/%m/%Y}. Sube un certificado vigente.",
        )
    if as_of < csd.valid_from:
        raise NoUsableCsd("csd_not_yet_valid", f"El CSD {csd.no_certificado} aún no está vigente.")
    return csd


def signer_for(csd: Csd) -> Any:
    """A ready satcfdi Signer for `csd`, decrypted and loaded once per process."""

    def load() -> tuple[bytes, bytes, str]:
        aad = csd_aad(csd.org_id, csd.no_certificado)
        key = vault().decrypt(bytes(csd.key_encrypted), aad=aad)
        password = vault().decrypt(bytes(csd.password_encrypted), aad=aad).decode()
        return bytes(csd.certificate_der), key, password

    return signers.get_signer(signers.SignerCacheKey(csd.org_id, csd.no_certificado, csd.fingerprint), load)
