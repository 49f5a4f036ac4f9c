"""Who is asking and for which org: the tenant of every dashboard request.

The org comes ONLY from the logged-in user's Membership (architecture.md, tenant isolation);
never from the URL, the query string or a form. The test/live switch lives in the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from timbra.orgs.models import Org

LIVEMODE_SESSION_KEY = "dashboard_livemode"

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Tenant:
    """The org and mode a dashboard request works on, plus who acts (for the audit trail)."""

    org: Org
    livemode: bool
    actor: str


def actor_of(request: HttpRequest) -> str:
    user = request.user
    return user.get_full_name() or user.get_username()


def membership_org(request: HttpRequest) -> Org | None:
    try:
        return request.user.membership.org  # type: ignore[union-attr]
    except ObjectDoesNotExist:
        return None


def org_view(
    view: Callable[Concatenate[HttpRequest, Tenant, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Require login and a Membership; call `view(request, tenant, ...)` in the org's timezone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        org = membership_org(request)
        if org is None:
            return render(request, "dashboard/auth/no_membership.html", status=403)
        tenant = Tenant(org=org, livemode=bool(request.session.get(LIVEMODE_SESSION_KEY, False)),
                        actor=actor_of(request))
        # Dates people read (timeline, lists) are in the org's timezone, not the server's.
        with timezone.override(ZoneInfo(org.timezone)):
            return view(request, tenant, *args, **kwargs)

    return login_required(wrapper)


def render_page(request: HttpRequest, tenant: Tenant, template: str, context: dict[str, Any] | None = None,
                *, status: int = 200) -> HttpResponse:
    """Render a dashboard page; the base template needs the tenant for the nav and mode banner."""
    return render(request, template, {"tenant": tenant, **(context or {})}, status=status)


def or_404(row: T | None, message: str) -> T:
    """`row`, or a 404 page saying `message` when the tenant's lookup found nothing (another
    org's or mode's id is indistinguishable from none)."""
    if row is None:
        raise Http404(message)
    return row
