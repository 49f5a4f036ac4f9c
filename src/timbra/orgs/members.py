"""The team of an org: invite by email (a signed link that expires), accept, change a role,
remove someone (issue 13 §3). Every change writes an OrgEvent (who, when, before -> after).

The invitation is the signed link itself (Django's TimestampSigner with its own salt): nothing
to store, it cannot be forged, and it dies after INVITE_MAX_AGE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse

from timbra.invoicing.errors import InvoicingError
from timbra.orgs import roles
from timbra.orgs.audit import record_org_event
from timbra.orgs.models import Membership, Org
from timbra.orgs.onboarding import register_user

INVITE_SALT = "timbra.orgs.invite"
INVITE_MAX_AGE = timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    org: Org
    email: str
    role: str


def invite_member(org: Org, *, email: str, role: str, actor: str, actor_role: str, as_of: datetime) -> str:
    """Email `email` a link to join `org` as `role`; returns the link. Only an owner may invite
    another owner."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvoicingError("email_invalid", "El correo no es válido.", field="email") from exc
    _check_role(role, actor_role)
    if Membership.objects.filter(org=org, user__username__iexact=email).exists():
        raise InvoicingError("already_member", "Esa persona ya es parte del equipo.", field="email")
    token = signing.TimestampSigner(salt=INVITE_SALT).sign_object({"org": org.pk, "email": email, "role": role})
    link = f"{settings.TIMBRA_BASE_URL}{reverse('dashboard:invite_accept', args=[token])}"
    with transaction.atomic():
        record_org_event(org, "member_invited", f"Invitación enviada a {email} como {roles.LABELS[role]}.",
                         actor=actor, as_of=as_of, data={"email": email, "role": role})
        transaction.on_commit(lambda: send_mail(
            f"Te invitaron al equipo de {org.nombre} en Timbra",
            f"{actor} te invitó a {org.nombre} ({org.rfc}) como {roles.LABELS[role]}.\n\n"
            f"Acepta la invitación aquí (vence en {INVITE_MAX_AGE.days} días):\n{link}\n",
            settings.DEFAULT_FROM_EMAIL, [email]))
    return link


def read_invitation(token: str) -> Invitation:
    """The invitation a link carries; a forged, altered or expired link is refused."""
    try:
        data = signing.TimestampSigner(salt=INVITE_SALT).unsign_object(token, max_age=INVITE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise InvoicingError("invite_expired", "La invitación venció. Pide que te inviten de nuevo.") from exc
    except signing.BadSignature as exc:
        raise InvoicingError("invite_invalid", "El enlace de invitación no es válido.") from exc
    org = Org.objects.filter(pk=data.get("org")).first()
    if org is None or data.get("role") not in roles.LABELS:
        raise InvoicingError("invite_invalid", "El enlace de invitación no es válido.")
    return Invitation(org=org, email=str(data["email"]), role=str(data["role"]))


def accept_invitation(invitation: Invitation, *, user: AbstractBaseUser | None, password: str = "",
                      as_of: datetime) -> AbstractBaseUser:
    """Join the org: the logged-in `user` (whose email must be the invited one) or a new login
    with `password`. Accepting twice changes nothing."""
    with transaction.atomic():
        if user is None:
            user = register_user(email=invitation.email, password=password)
        elif user.get_username().lower() != invitation.email:
            raise InvoicingError("invite_other_user",
                                 f"La invitación es para {invitation.email}. Cierra tu sesión y vuelve a abrir el enlace.")
        membership, created = Membership.objects.get_or_create(user=user, org=invitation.org,
                                                               defaults={"role": invitation.role})
        if created:
            record_org_event(invitation.org, "member_added",
                             f"{invitation.email} se unió al equipo como {roles.LABELS[invitation.role]}.",
                             actor=invitation.email, as_of=as_of,
                             data={"email": invitation.email, "role": invitation.role})
    return user


def change_role(membership: Membership, *, role: str, actor: str, actor_role: str, as_of: datetime) -> Membership:
    """Give a member another role; the last owner stays owner."""
    _check_role(role, actor_role)
    before = membership.role
    if before == role:
        return membership
    if before == roles.OWNER and actor_role != roles.OWNER:
        raise InvoicingError("owner_only", "Solo un propietario puede cambiar el rol de otro propietario.")
    with transaction.atomic():
        _keep_an_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        record_org_event(membership.org, "member_role_changed",
                         f"Rol de {membership.user.get_username()}: {roles.LABELS.get(before, before)} → "
                         f"{roles.LABELS[role]}.", actor=actor, as_of=as_of,
                         data={"user": membership.user.get_username(), "before": before, "after": role})
    return membership


def remove_member(membership: Membership, *, actor: str, actor_role: str, as_of: datetime) -> None:
    """Take someone out of the team (their login stays, for their other orgs)."""
    if membership.role == roles.OWNER and actor_role != roles.OWNER:
        raise InvoicingError("owner_only", "Solo un propietario puede quitar a otro propietario.")
    with transaction.atomic():
        _keep_an_owner(membership)
        membership.delete()
        record_org_event(membership.org, "member_removed",
                         f"{membership.user.get_username()} ya no es parte del equipo "
                         f"({roles.LABELS.get(membership.role, membership.role)}).", actor=actor, as_of=as_of,
                         data={"user": membership.user.get_username(), "before": membership.role})


def _check_role(role: str, actor_role: str) -> None:
    if role not in roles.LABELS:
        raise InvoicingError("role_invalid", "Elige un rol de la lista.", field="role")
    if role == roles.OWNER and actor_role != roles.OWNER:
        raise InvoicingError("owner_only", "Solo un propietario puede nombrar a otro propietario.", field="role")


def _keep_an_owner(membership: Membership) -> None:
    if membership.role != roles.OWNER:
        return
    owners = Membership.objects.select_for_update().filter(org=membership.org, role=roles.OWNER)
    if owners.exclude(pk=membership.pk).count() == 0:
        raise InvoicingError("last_owner", "La empresa necesita al menos un propietario.")
