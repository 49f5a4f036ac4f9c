"""Org use cases: create an issuer, issue and check API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.db import transaction

from timbra.cfdi.sandbox_checks import zone_for_codigo_postal
from timbra.domain.taxpayer import normalize_nombre, validate_fiscal_data
from timbra.invoicing.errors import InvoicingError
from timbra.orgs.audit import record_change
from timbra.orgs.models import ApiKey, Org, Series


def create_org(
    *, rfc: str, nombre: str, regimen_fiscal: str, lugar_expedicion: str,
    timezone: str | None = None, email: str = "", serie: str = "A",
) -> Org:
    """Create an issuer after checking its fiscal data against the SAT catalogs
    (`checked_fiscal_data`)."""
    rfc, nombre, timezone = checked_fiscal_data(rfc=rfc, nombre=nombre, regimen_fiscal=regimen_fiscal,
                                                lugar_expedicion=lugar_expedicion, timezone=timezone)
    with transaction.atomic():
        org = Org.objects.create(rfc=rfc, nombre=nombre, regimen_fiscal=regimen_fiscal,
                                 lugar_expedicion=lugar_expedicion, timezone=timezone, email=email,
                                 default_serie=serie)
        Series.objects.create(org=org, code=serie)
    return org


def checked_fiscal_data(*, rfc: str, nombre: str, regimen_fiscal: str, lugar_expedicion: str,
                        timezone: str | None) -> tuple[str, str, str]:
    """(rfc, nombre, timezone) normalised, or InvoicingError on the first problem.

    The timezone defaults to the one of the lugar de expedición's CP (c_CodigoPostal's huso
    horario): CFDI Fecha is local time there, and a PAC reads it that way (Tijuana is not
    Mexico City), so a wrong zone would shift every Fecha and risk 401 rejections."""
    rfc = rfc.strip().upper()
    nombre = normalize_nombre(nombre)
    problems = [p for p in validate_fiscal_data(rfc, nombre, regimen_fiscal, lugar_expedicion, "G03")
                if p.field != "uso_cfdi"]
    if problems:
        raise InvoicingError(problems[0].code, problems[0].message, field=problems[0].field)
    return rfc, nombre, timezone or zone_for_codigo_postal(lugar_expedicion).key


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(org: Org, *, name: str, livemode: bool, scopes: str = "read,write",
                   as_of: datetime, actor: str = "sistema", source: str = "job") -> tuple[ApiKey, str]:
    """Create a key and return it with its plain token, which is shown only this once (the audit
    row keeps its name, prefix and scopes, never the token)."""
    mode = "live" if livemode else "test"
    prefix = f"sk_{mode}_{secrets.token_hex(6)}"
    token = f"{prefix}_{secrets.token_hex(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(org=org, name=name, prefix=prefix, secret_hash=_hash(token),
                                    livemode=livemode, scopes=scopes, created_at=as_of)
        record_change(org, "api_key_created", f"Clave de API creada: {name} ({prefix}…).", object_type="api_key",
                      object_id=key.pk, before={}, after={"name": name, "prefix": prefix, "scopes": scopes,
                                                          "livemode": livemode},
                      actor=actor, source=source, as_of=as_of)
    return key, token


def authenticate_key(token: str, *, as_of: datetime) -> ApiKey | None:
    """The live, unrevoked key for `token`, or None. Constant-time comparison."""
    parts = token.strip().rsplit("_", 1)
    if len(parts) != 2 or not parts[0].startswith(("sk_test_", "sk_live_")):
        return None
    # Every API request runs this: the prefix is unique (no ORDER BY needed), and the org's logo
    # (a blob of up to a few hundred KB) is read only by what draws it, not by every request.
    rows = ApiKey.objects.select_related("org").defer("org__logo").filter(prefix=parts[0], revoked_at__isnull=True)
    key = next(iter(rows[:1]), None)
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token.strip())):
        return None
    if key.last_used_at is None or (as_of - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=as_of)
    return key


def revoke_api_key(key: ApiKey, *, as_of: datetime, actor: str = "sistema", source: str = "job") -> None:
    with transaction.atomic():
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=as_of):
            record_change(key.org, "api_key_revoked", f"Clave de API revocada: {key.name} ({key.prefix}…).",
                          object_type="api_key", object_id=key.pk, before={"revoked": False},
                          after={"revoked": True}, actor=actor, source=source, as_of=as_of)


def update_org_settings(org: Org, *, email: str, brand_color: str, default_serie: str,
                        logo: bytes | None, remove_logo: bool, minutes_per_invoice: int | None = None) -> Org:
    """Save an org's presentation settings (email, colour, logo, serie); fiscal identity (RFC,
    razón social, régimen, CP) is not editable: it must match the CSD and the SAT's records.

    Save the settings; a new logo replaces the old one, `remove_logo` clears it.

    The serie's folio counter is created now so the first invoice of a new serie starts at 1."""
    org.email, org.brand_color, org.default_serie = email, brand_color.upper(), default_serie
    fields = ["email", "brand_color", "default_serie"]
    if minutes_per_invoice is not None:
        org.minutes_per_invoice = minutes_per_invoice
        fields.append("minutes_per_invoice")
    if logo is not None:
        org.logo = logo
        fields.append("logo")
    elif remove_logo:
        org.logo = None
        fields.append("logo")
    with transaction.atomic():
        org.save(update_fields=fields)
        Series.objects.get_or_create(org=org, code=default_serie)
    return org
