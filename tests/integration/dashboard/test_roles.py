"""Roles (issue 13 §3): one permission layer (dashboard.permissions) decides every dashboard URL
for every role, and a user in several orgs switches between them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, reverse

from tests.factories import make_org
from timbra.dashboard import permissions
from timbra.dashboard.urls import urlpatterns
from timbra.orgs import roles
from timbra.orgs.models import Membership

NAMED = [p for p in urlpatterns if isinstance(p, URLPattern) and p.name]


def url_for(pattern: URLPattern) -> str:
    """The URL with made-up ids: the permission check runs before any lookup."""
    kwargs = {name: (999_999 if conv.__class__.__name__ == "IntConverter" else "x")
              for name, conv in pattern.pattern.converters.items()}
    return reverse(f"dashboard:{pattern.name}", kwargs=kwargs)


def member(org, role: str) -> Client:
    user = User.objects.create_user(f"u-{role}", password="contraseña-segura-1")
    Membership.objects.create(user=user, org=org, role=role)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_every_dashboard_url_has_a_permission_rule():
    missing = [p.name for p in NAMED if p.name not in permissions.RULES and p.name not in permissions.PUBLIC]

    assert missing == []


@pytest.mark.parametrize("role", list(roles.LABELS))
def test_each_role_is_refused_exactly_what_its_rules_refuse(org, role):
    client = member(org, role)
    wrong = []
    for pattern in NAMED:
        if pattern.name in permissions.PUBLIC:
            continue
        url = url_for(pattern)
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, {})
            if response.status_code == 405:  # a POST-only URL answers a GET before any role check
                continue
            refused = response.status_code == 403
            if refused == permissions.allowed(role, pattern.name, method):
                wrong.append((pattern.name, method, response.status_code))
    assert wrong == []


def test_an_operator_never_sees_keys_csd_or_pac_and_a_viewer_changes_nothing(org, customer):
    operator, viewer = member(org, roles.OPERATOR), member(org, roles.VIEWER)

    for name in ("api_keys", "csd", "gateways", "settings", "onboarding_pac"):
        assert operator.get(reverse(f"dashboard:{name}")).status_code == 403, name
    page = operator.get(reverse("dashboard:home")).content.decode()
    assert reverse("dashboard:settings") not in page and reverse("dashboard:customer_list") in page

    response = viewer.post(reverse("dashboard:customer_edit", args=[customer.pk]), {"nombre": "OTRO"})
    assert response.status_code == 403 and "Solo lectura" in response.content.decode()
    assert viewer.get(reverse("dashboard:customer_edit", args=[customer.pk])).status_code == 200


def test_a_user_in_two_orgs_switches_between_them_and_never_into_a_third(org, customer):
    other = make_org(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA", with_csd=False)
    third = make_org(rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN", with_csd=False)
    client = member(org, roles.OWNER)
    user = User.objects.get(username="u-owner")
    Membership.objects.create(user=user, org=other, role=roles.VIEWER)

    home = client.get(reverse("dashboard:home")).content.decode()
    assert "ESCUELA KEMPER URGATE" in home and "UNIVERSIDAD ROBOTICA ESPAÑOLA" in home  # the switcher

    client.post(reverse("dashboard:switch_org"), {"org": other.pk})
    assert "URGATE" not in client.get(reverse("dashboard:customer_list")).content.decode().split("<main", 1)[1]
    assert client.get(reverse("dashboard:settings")).status_code == 200  # a viewer reads settings…
    assert client.post(reverse("dashboard:settings"), {}).status_code == 403  # …and changes nothing there

    client.post(reverse("dashboard:switch_org"), {"org": third.pk})
    page = client.get(reverse("dashboard:home")).content.decode()
    assert "EDGAR WALDO ERDMANN" not in page
