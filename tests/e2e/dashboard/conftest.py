"""The dashboard in a real browser: the portal's Chromium fixture (Debian's, headless, nothing
downloaded) and a logged-in browser context per viewport."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from tests.e2e.portal.conftest import chromium  # noqa: F401  (fixture)
from tests.factories import make_org
from timbra.orgs.models import Membership, Org


@pytest.fixture
def dash_org(db) -> Org:
    return make_org(as_of=timezone.now())


@pytest.fixture
def member(dash_org) -> User:
    user = User.objects.create_user("ana", password="contraseña-segura-1", first_name="Ana", last_name="López")
    Membership.objects.create(user=user, org=dash_org)
    return user


@pytest.fixture
def open_as(chromium, live_server) -> Iterator[Callable[..., Any]]:  # noqa: F811
    """open_as(user, width, height=900) -> a page logged in as `user` (session cookie), on the live server."""
    contexts = []

    def opener(user: User, width: int, height: int = 900, **options: Any) -> Any:
        client = Client()
        client.force_login(user)
        context = chromium.new_context(locale="es-MX", viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                              "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()
