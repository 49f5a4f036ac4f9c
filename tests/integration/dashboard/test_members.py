"""Ajustes → Equipo (issue 13 §3): invite by a signed link that expires, accept it, change a
role, remove someone; every change in the org's audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import NOW
from timbra.orgs import roles
from timbra.orgs.models import Membership, OrgEvent


def invite(client_in, capture, email="beto@kemper.example", role=roles.ACCOUNTANT) -> str:
    """Invite `email`; the link as the email (sent once the transaction commits) carries it."""
    with capture(execute=True):
        response = client_in.post(reverse("dashboard:members"), {"email": email, "role": role})
    assert response.status_code == 302
    (message,) = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"http\S+/invitacion/\S+/", message.body).group(0)


def test_an_invited_person_chooses_a_password_and_joins_with_the_role(client_in, org, staff,
                                                                     django_capture_on_commit_callbacks):
    link = invite(client_in, django_capture_on_commit_callbacks)
    path = link.split("://", 1)[1].split("/", 1)[1]
    newcomer = Client()

    response = newcomer.post(f"/{path}", {"password": "una-clave-muy-larga-9"})

    assert response.status_code == 302
    membership = Membership.objects.get(org=org, user__username="beto@kemper.example")
    assert membership.role == roles.ACCOUNTANT
    assert newcomer.get(reverse("dashboard:home")).status_code == 200
    kinds = list(OrgEvent.objects.filter(org=org).values_list("kind", flat=True))
    assert "member_invited" in kinds and "member_added" in kinds


def test_an_altered_or_expired_invitation_is_refused(client_in, org, django_capture_on_commit_callbacks):
    link = invite(client_in, django_capture_on_commit_callbacks)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]

    assert Client().get(path.replace("accountant", "owner")[:-3] + "x/").status_code == 400
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        response = Client().get(path)
    assert response.status_code == 400 and "venció" in response.content.decode()


def test_roles_change_and_the_last_owner_stays(client_in, org, staff):
    own = Membership.objects.get(user=staff)
    own.role = roles.OWNER
    own.save()
    other = Membership.objects.create(user=type(staff).objects.create_user("beto"), org=org, role=roles.VIEWER)

    client_in.post(reverse("dashboard:member_role", args=[other.pk]), {"role": roles.OPERATOR})
    client_in.post(reverse("dashboard:member_role", args=[own.pk]), {"role": roles.VIEWER})

    other.refresh_from_db()
    own.refresh_from_db()
    assert other.role == roles.OPERATOR and own.role == roles.OWNER
    change = OrgEvent.objects.get(org=org, kind="member_role_changed")
    assert change.data == {"user": "beto", "before": "viewer", "after": "operator"} and change.actor == "Ana López"


def test_an_admin_cannot_make_an_owner(client_in, org, staff):
    Membership.objects.filter(user=staff).update(role=roles.ADMIN)
    response = client_in.post(reverse("dashboard:members"), {"email": "x@kemper.example", "role": roles.OWNER})

    assert "Solo un propietario" in response.content.decode()
