"""The org's PAC: which one stamps its live invoices, its credentials, and «Probar conexión».

Credentials are secrets like the CSD's key: they are encrypted with the same vault (AES-GCM),
bound to the org and to this purpose, so a blob copied to another org fails to decrypt. They are
never logged, never shown again (only hints), and decrypted only to build the PAC adapter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from timbra.cfdi.pac import PacConnectionCheck, PacError, PacRejected, PacUnavailable
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.audit import record_org_event
from timbra.orgs.csds import vault
from timbra.orgs.models import Org, OrgPac

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CredentialField:
    name: str  # the adapter's keyword (satcfdi's parameter names)
    label: str  # Spanish, for the form
    secret: bool


@dataclass(frozen=True)
class PacChoice:
    name: str
    label: str
    fields: tuple[CredentialField, ...]


# The PACs whose satcfdi clients stamp a pre-signed XML (issue 11 §2); credential names follow
# satcfdi's constructors (Finkok(username, password), SWSapien(token=…), Diverza(rfc, id, token)).
# SW sapien: the long-lived token from its portal (satcfdi's user/password login misreads the answer).
PACS: dict[str, PacChoice] = {
    "sandbox": PacChoice("sandbox", "PAC de pruebas de Timbra (sin validez fiscal)", ()),
    "finkok": PacChoice("finkok", "Finkok", (CredentialField("username", "Usuario", False),
                                             CredentialField("password", "Contraseña", True))),
    "sw": PacChoice("sw", "SW sapien (SmarterWeb)", (CredentialField("token", "Token de acceso", True),)),
    "diverza": PacChoice("diverza", "Diverza", (CredentialField("rfc", "RFC registrado en Diverza", False),
                                                CredentialField("id", "ID de cliente", False),
                                                CredentialField("token", "Token", True))),
}


def credentials_aad(org_id: int) -> bytes:
    """Associated data binding the PAC credentials to their org (not secret)."""
    return f"pac-credentials:{org_id}".encode()


def decrypt_credentials(org_id: int, blob: bytes | None) -> dict[str, str]:
    if not blob:
        return {}
    return dict(json.loads(vault().decrypt(bytes(blob), aad=credentials_aad(org_id))))


def _hint(value: str, *, secret: bool) -> str:
    if not secret:
        return value
    return f"…{value[-4:]}" if len(value) >= 12 else "••••"


def save_pac_settings(org: Org, *, name: str, credentials: Mapping[str, str], base_url: str = "",
                      test_environment: bool, actor: str, as_of: datetime) -> OrgPac:
    """Choose the org's PAC and store its credentials encrypted.

    A credential left empty keeps the one already stored for the same PAC (nobody has to type a
    password again to change the URL). Saving resets the last connection check. While the org is
    live, only a PAC whose stamps have fiscal validity is accepted (switch live off first)."""
    choice = PACS.get(name)
    if choice is None:
        raise InvoicingError("pac_unknown", f"No conocemos el PAC «{name}». Elige uno de la lista.", field="name")
    base_url = _clean_base_url(base_url)
    if org.live_enabled_at is not None and (name == "sandbox" or test_environment):
        raise InvoicingError(
            "live_requires_real_pac",
            "El modo producción está activo: solo puedes cambiar a un PAC real en su ambiente de producción. "
            "Desactiva primero el modo producción.", field="name")
    current = OrgPac.objects.filter(org=org).first()
    kept = decrypt_credentials(org.pk, current.credentials_encrypted) if current and current.name == name else {}
    values: dict[str, str] = {}
    for field in choice.fields:
        value = str(credentials.get(field.name) or "").strip() or kept.get(field.name, "")
        if not value:
            raise InvoicingError("pac_credentials_missing", f"Falta «{field.label}» para {choice.label}.",
                                 field=field.name)
        values[field.name] = value
    blob = vault().encrypt(json.dumps(values).encode(), aad=credentials_aad(org.pk)) if values else None
    defaults = {
        "name": name, "credentials_encrypted": blob, "base_url": base_url, "test_environment": test_environment,
        "credential_hints": {f.name: _hint(values[f.name], secret=f.secret) for f in choice.fields},
        "checked_at": None, "check_ok": None, "check_message": "", "updated_at": as_of,
    }
    environment = "ambiente de pruebas" if test_environment else "ambiente de producción"
    with transaction.atomic():
        pac, _ = OrgPac.objects.update_or_create(org=org, defaults=defaults)
        record_org_event(org, "pac_configured", f"PAC configurado: {choice.label} ({environment}).",
                         actor=actor, as_of=as_of, data={"name": name, "test_environment": test_environment,
                                                         "base_url": base_url, "fields": sorted(values)})
    return pac


def _clean_base_url(base_url: str) -> str:
    base_url = (base_url or "").strip()
    if not base_url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(base_url)
    except ValidationError as exc:
        raise InvoicingError("base_url_invalid", "La URL del PAC debe empezar con https:// (o http://).",
                             field="base_url") from exc
    return base_url.rstrip("/")


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    code: str
    message: str  # Spanish


def check_pac_connection(org: Org, *, actor: str, as_of: datetime) -> ConnectionCheck:
    """«Probar conexión»: call the configured PAC's harmless endpoint with the stored credentials
    and record the answer. Never inside a transaction: it waits on the network."""
    from timbra.invoicing.pacs import pac_from_config
    from timbra.orgs.selectors import org_pac_config

    row = OrgPac.objects.filter(org=org).first()
    config = org_pac_config(org)
    if row is None or config is None:
        raise InvoicingError("pac_not_configured", "Primero elige un PAC y guarda sus credenciales.", field="name")
    name, credentials, base_url, test_environment = config
    try:
        pac = pac_from_config(name, credentials, base_url=base_url, test_environment=test_environment)
        if not isinstance(pac, PacConnectionCheck):
            result = ConnectionCheck(False, "pac_check_unsupported",
                                     "Este PAC no permite probar la conexión desde Timbra.")
        else:
            pac.check_connection()
            result = ConnectionCheck(True, "ok", f"Conexión correcta con {PACS[name].label}.")
    except PacRejected as exc:
        result = ConnectionCheck(False, "pac_credentials_rejected", f"El PAC rechazó las credenciales: {exc.message}")
    except PacUnavailable as exc:
        result = ConnectionCheck(False, "pac_unreachable",
                                 f"No se pudo conectar con el PAC: {exc.message} Revisa la URL o intenta más tarde.")
    except PacError as exc:
        result = ConnectionCheck(False, "pac_unreachable", f"El PAC no respondió como se esperaba: {exc.message}")
    except ValueError as exc:  # pac_from_config: unknown PAC or adapter not installed
        result = ConnectionCheck(False, "pac_unknown", getattr(exc, "message", str(exc)))
    log.info("PAC connection check for org %s (%s): %s", org.pk, name, result.code)  # never the credentials
    with transaction.atomic():
        # Only if the settings did not change while we waited on the PAC (compare-and-swap).
        OrgPac.objects.filter(pk=row.pk, updated_at=row.updated_at, name=row.name).update(
            checked_at=as_of, check_ok=result.ok, check_message=result.message)
        record_org_event(org, "pac_checked", result.message, actor=actor, as_of=as_of,
                         data={"name": name, "ok": result.ok, "code": result.code})
    return result
