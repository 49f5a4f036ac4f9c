"""A business sets itself up: an account, its company, then the explicit switch to live.

The wizard (dashboard), `timbra createorg` / `createuser` (CLI) and /api/v1/org call these; the
CSD upload (orgs.csds) and the PAC settings (orgs.pac_settings) are their own services.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from timbra.invoicing.errors import InvoicingError
from timbra.orgs import roles
from timbra.orgs.audit import record_org_event
from timbra.orgs.models import Membership, Org
from timbra.orgs.selectors import live_blockers
from timbra.orgs.services import checked_fiscal_data, create_org, update_org_settings

# The IANA zones of Mexico's c_CodigoPostal husos horarios (Tijuana keeps DST, the rest do not).
MEXICO_TIMEZONES = (
    "America/Mexico_City", "America/Monterrey", "America/Merida", "America/Matamoros", "America/Cancun",
    "America/Chihuahua", "America/Ciudad_Juarez", "America/Ojinaga", "America/Mazatlan",
    "America/Bahia_Banderas", "America/Hermosillo", "America/Tijuana",
)


def register_user(*, email: str, password: str) -> AbstractBaseUser:
    """Create a login whose username is its email (lower case). Django's password validators
    apply; their messages are shown as they are (es-MX)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvoicingError("email_invalid", "El correo no es válido.", field="email") from exc
    users = get_user_model()
    if users.objects.filter(username__iexact=email).exists():
        raise _taken()
    try:
        validate_password(password, users(username=email, email=email))
    except ValidationError as exc:
        raise InvoicingError("password_weak", " ".join(exc.messages), field="password") from exc
    try:
        with transaction.atomic():
            return users.objects.create_user(email, email=email, password=password)
    except IntegrityError as exc:  # two sign-ups with one email at once: the unique username decides
        raise _taken() from exc


def _taken() -> InvoicingError:
    return InvoicingError("email_taken", "Ya existe una cuenta con ese correo. Inicia sesión.", field="email")


def create_company(
    *, owner: AbstractBaseUser | None, rfc: str, nombre: str, regimen_fiscal: str, lugar_expedicion: str,
    timezone: str | None = None, serie: str = "A", email: str = "", brand_color: str = "#1F4E79",
    logo: bytes | None = None, actor: str, as_of: datetime,
) -> Org:
    """Create an issuer from its constancia's data (checked against the SAT catalogs by
    create_org) and make `owner` its admin. Starts in test mode: live needs `go_live`."""
    _check_timezone(timezone)
    if owner is not None and Membership.objects.filter(user=owner).exists():
        raise InvoicingError("already_member", "Tu usuario ya pertenece a una empresa.", field="rfc")
    with transaction.atomic():
        org = create_org(rfc=rfc, nombre=nombre, regimen_fiscal=regimen_fiscal, lugar_expedicion=lugar_expedicion,
                         timezone=timezone or None, email=email, serie=serie.upper())
        update_org_settings(org, email=email, brand_color=brand_color, default_serie=serie.upper(), logo=logo,
                            remove_logo=False)
        if owner is not None:
            Membership.objects.create(user=owner, org=org, role=roles.OWNER)
        record_org_event(org, "org_created", f"Empresa dada de alta: {org.nombre} ({org.rfc}).", actor=actor,
                         as_of=as_of, data={"rfc": org.rfc, "timezone": org.timezone})
    return org


def correct_fiscal_data(org: Org, *, rfc: str, nombre: str, regimen_fiscal: str, lugar_expedicion: str,
                        timezone: str | None, actor: str, as_of: datetime) -> Org:
    """Fix a typo in the fiscal data, allowed only before any CSD was uploaded or any invoice
    issued: afterwards they must match the CSD and the CFDIs already issued."""
    from timbra.invoicing.models import Invoice

    if org.csds.exists() or Invoice.objects.filter(org=org).exists():
        raise InvoicingError("fiscal_data_locked",
                             "Los datos fiscales ya no se pueden cambiar: coinciden con tu CSD y tus facturas.",
                             field="rfc")
    _check_timezone(timezone)
    rfc, nombre, zone = checked_fiscal_data(rfc=rfc, nombre=nombre, regimen_fiscal=regimen_fiscal,
                                            lugar_expedicion=lugar_expedicion, timezone=timezone or None)
    org.rfc, org.nombre, org.regimen_fiscal, org.lugar_expedicion, org.timezone = (
        rfc, nombre, regimen_fiscal, lugar_expedicion, zone)
    with transaction.atomic():
        org.save(update_fields=["rfc", "nombre", "regimen_fiscal", "lugar_expedicion", "timezone"])
        record_org_event(org, "fiscal_data_corrected", f"Datos fiscales corregidos: {org.nombre} ({org.rfc}).",
                         actor=actor, as_of=as_of, data={"rfc": org.rfc})
    return org


def _check_timezone(timezone: str | None) -> None:
    if timezone and timezone not in MEXICO_TIMEZONES:
        raise InvoicingError("timezone_invalid", "Elige una zona horaria de México.", field="timezone")


def add_member(org: Org, *, email: str, password: str, actor: str, as_of: datetime,
               role: str = roles.ADMIN) -> AbstractBaseUser:
    """A new login for `org`'s dashboard (operators: `timbra createuser`)."""
    with transaction.atomic():
        user = register_user(email=email, password=password)
        Membership.objects.create(user=user, org=org, role=role)
        record_org_event(org, "member_added", f"Usuario agregado: {user.get_username()} ({roles.LABELS[role]}).",
                         actor=actor, as_of=as_of, data={"user": user.get_username(), "role": role})
    return user


def go_live(org: Org, *, actor: str, as_of: datetime) -> Org:
    """The explicit switch to live. Refused (InvoicingError `live_refused`, every reason in
    Spanish) until a real PAC in its production environment answers with the stored credentials
    and the CSD is valid. Idempotent: an org already live stays as it is."""
    from timbra.orgs.pac_settings import check_pac_connection

    org.refresh_from_db(fields=["live_enabled_at"])
    if org.live_enabled_at is not None:
        return org
    problems = live_blockers(org, as_of=as_of)
    if problems:
        raise InvoicingError("live_refused", "No se activó el modo producción. " + " ".join(
            p.message for p in problems), field=problems[0].field)
    check = check_pac_connection(org, actor=actor, as_of=as_of)
    if not check.ok:
        raise InvoicingError("live_refused", f"No se activó el modo producción. {check.message}", field="pac")
    with transaction.atomic():
        switched = Org.objects.filter(pk=org.pk, live_enabled_at__isnull=True).update(live_enabled_at=as_of)
        if switched:
            record_org_event(org, "live_enabled", "Modo producción activado: las facturas de producción se "
                             "timbran con el PAC configurado.", actor=actor, as_of=as_of)
    org.refresh_from_db(fields=["live_enabled_at"])
    if switched:
        release_waiting_invoices(org, actor=actor, as_of=as_of)
    return org


def release_waiting_invoices(org: Org, *, actor: str, as_of: datetime) -> int:
    """Send the live invoices that waited for a PAC (held, pac_not_configured) through the pipeline.

    They never reached a PAC (pac_for refused before any call), so sealing them again with a new
    Fecha cannot make a second UUID. Each one is its own compare-and-swap: one that a person
    retried or discarded meanwhile is skipped."""
    from timbra.domain.status import InvoiceStatus
    from timbra.invoicing.actions import retry_invoice
    from timbra.invoicing.models import Invoice

    released = 0
    waiting = Invoice.objects.filter(org=org, livemode=True, status=InvoiceStatus.HELD, hold_code="pac_not_configured")
    for invoice in waiting.order_by("pk").iterator():
        try:
            retry_invoice(invoice, actor=actor, as_of=as_of)
        except InvoicingError:
            continue
        released += 1
    return released


def go_test_only(org: Org, *, actor: str, as_of: datetime) -> Org:
    """Switch live off: live-mode invoices wait again (held) until `go_live`. Idempotent."""
    with transaction.atomic():
        if Org.objects.filter(pk=org.pk, live_enabled_at__isnull=False).update(live_enabled_at=None):
            record_org_event(org, "live_disabled", "Modo producción desactivado: las facturas de producción "
                             "esperarán hasta que vuelvas a activarlo.", actor=actor, as_of=as_of)
    org.refresh_from_db(fields=["live_enabled_at"])
    return org
