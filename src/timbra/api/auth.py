"""Bearer API keys: who is calling, for which org, in which mode, with which scopes.

The org and the mode (test/live) come ONLY from the key (reliability.md §3.2, OWASP
multi-tenant cheat sheet): nothing in a header, query or body can change them.

Scopes (comma-separated on the key):
- "read": every GET;
- "write": POST/PATCH/PUT/DELETE on business resources (customers, products, invoices, org settings);
- "keys": administration — managing API keys and replacing the CSD. It is NOT implied by
  "write" (keys made by `timbra createkey` or the demo have "read,write"); grant it
  explicitly with `timbra createkey --scopes read,write,keys`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from timbra.api.errors import ApiError
from timbra.orgs.models import ApiKey, Org
from timbra.orgs.services import authenticate_key

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SCOPE_KEYS = "keys"


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer sk_test_…|sk_live_…`. Without `scope`, GET needs "read" and
    every other method "write"; with `scope`, that scope is needed for every method."""

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = authenticate_key(token, as_of=timezone.now())
        if key is None:
            return None  # ninja answers 401 "unauthorized" (timbra.api.errors)
        needed = self.scope or ("read" if request.method in SAFE_METHODS else "write")
        if not key.has_scope(needed):
            raise ApiError(
                403, "insufficient_scope",
                f"La API key {key.prefix}… no tiene el permiso «{needed}» que requiere esta operación.",
            )
        return key


api_key = ApiKeyAuth()
admin_key = ApiKeyAuth(scope=SCOPE_KEYS)


@dataclass(frozen=True)
class Caller:
    """The authenticated context a handler works in."""

    key: ApiKey
    org: Org
    livemode: bool

    @property
    def actor(self) -> str:
        """How the timeline names this caller ("API (sk_test_ab12…)")."""
        return f"API ({self.key.prefix}…)"


def caller(request: HttpRequest) -> Caller:
    """The caller of an authenticated request. Org and livemode come from the key only."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    return Caller(key=key, org=key.org, livemode=key.livemode)
