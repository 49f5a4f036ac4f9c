"""Who is asking and for which org: the tenant of every dashboard request.

The org comes ONLY from the logged-in user's Memberships (architecture.md, tenant isolation);
never from the URL, the query string or a form. A user in several orgs picks one (stored in the
session, checked against the memberships on every request). The test/live switch lives in the
session. What the member's role may do is checked here, once, by `permissions.allowed`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from timbra.dashboard.permissions import allowed
from timbra.orgs import roles
from timbra.orgs.models import Membership, Org
from timbra.orgs.roles import OWNER

LIVEMODE_SESSION_KEY = "dashboard_livemode"
ORG_SESSION_KEY = "dashboard_org"

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Tenant:
    """The org and mode a dashboard request works on, plus who acts (for the audit trail)."""

    org: Org
    livemode: bool
    actor: str
    role: str = OWNER


def actor_of(request: HttpRequest) -> str:
    user = request.user
    return user.get_full_name() or user.get_username()


def active_membership(request: HttpRequest) -> Membership | None:
    """The membership the user chose (session), else their first; None when they have none."""
    if not request.user.is_authenticated:
        return None
    rows = Membership.objects.filter(user=request.user).select_related("org").order_by("pk")
    chosen = request.session.get(ORG_SESSION_KEY)
    return (rows.filter(org_id=chosen).first() if chosen else None) or rows.first()


def membership_org(request: HttpRequest) -> Org | None:
    membership = active_membership(request)
    return membership.org if membership else None


def second_factor_redirect(request: HttpRequest, membership: Membership) -> HttpResponse | None:
    """Where a session that has not passed its second factor must go first: the code, when the
    user has a TOTP device; the setup, when an owner has none (TIMBRA_OWNER_2FA). None: go on."""
    if request.user.is_verified():  # type: ignore[union-attr]  (django_otp.middleware.OTPMiddleware)
        return None
    if user_has_device(request.user):
        return redirect(f"{reverse('otp_verify')}?next={quote(request.get_full_path())}")
    if membership.role == OWNER and settings.TIMBRA_OWNER_2FA:
        return redirect("otp_setup")
    return None


def forbidden(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return render_page(request, tenant, "dashboard/auth/forbidden.html",
                       {"role_label": roles.LABELS.get(tenant.role, tenant.role)}, status=403)


def permitted(request: HttpRequest, role: str) -> bool:
    match = request.resolver_match
    return allowed(role, match.url_name if match else None, request.method or "GET")


def org_view(
    view: Callable[Concatenate[HttpRequest, Tenant, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Require login and a Membership; call `view(request, tenant, ...)` in the org's timezone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        membership = active_membership(request)
        if membership is None:
            return render(request, "dashboard/auth/no_membership.html", status=403)
        if (second := second_factor_redirect(request, membership)) is not None:
            return second
        tenant = tenant_of(request, membership)
        if not permitted(request, tenant.role):
            return forbidden(request, tenant)
        # Dates people read (timeline, lists) are in the org's timezone, not the server's.
        with timezone.override(ZoneInfo(tenant.org.timezone)):
            return view(request, tenant, *args, **kwargs)

    return login_required(wrapper)


def tenant_of(request: HttpRequest, membership: Membership) -> Tenant:
    return Tenant(org=membership.org, livemode=bool(request.session.get(LIVEMODE_SESSION_KEY, False)),
                  actor=actor_of(request), role=membership.role)


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
