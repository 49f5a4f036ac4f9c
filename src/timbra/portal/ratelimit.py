"""A small fixed-window rate limiter on Django's cache, for the public portal views.

Keys are (scope, client IP) and, where a form names an email, (scope, email): someone trying
tokens, emails or receipt codes is slowed down per address and per target. With the default
per-process memory cache each web process counts on its own (a limit of N becomes N per
process); configure a shared cache (CACHES) when the web app runs several processes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    scope: str
    requests: int
    per_seconds: int


VIEW = Limit("view", 120, 60)  # opening pages, polling the status every few seconds
WRITE = Limit("write", 20, 600)  # saving data, uploading a CSF
LOOKUP = Limit("lookup", 5, 600)  # asking for a link by email (per IP and per email)
DOWNLOAD = Limit("download", 60, 600)
# Looked up at request time (views name a scope), so an operator or a test can change them.
LIMITS = {limit.scope: limit for limit in (VIEW, WRITE, LOOKUP, DOWNLOAD)}


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by whoever sends the request. Behind a proxy,
    # the proxy must set REMOTE_ADDR (gunicorn --forwarded-allow-ips) for limits per client.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(limit: Limit, key: str, *, as_of: datetime) -> bool:
    """Count one request for `key`; False when it goes over the limit in the current window."""
    window = int(as_of.timestamp()) // limit.per_seconds
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    name = f"portal-rl:{limit.scope}:{window}:{digest}"
    cache.add(name, 0, timeout=limit.per_seconds + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=limit.per_seconds + 1)
        count = 1
    return count <= limit.requests


def allowed(request: HttpRequest, scope: str, *, as_of: datetime, extra: str = "") -> bool:
    """Count the request against the client's IP (and `extra`, e.g. an email, when given)."""
    limit = LIMITS[scope]
    ok = hit(limit, f"ip:{client_ip(request)}", as_of=as_of)
    if extra:
        ok = hit(limit, f"key:{extra.lower()}", as_of=as_of) and ok
    return ok
