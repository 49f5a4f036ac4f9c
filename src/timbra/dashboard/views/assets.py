"""The dashboard stylesheet, served by Django itself.

`timbra serve` runs gunicorn with DEBUG off and no static-file server, and the dashboard must
work offline: the one small CSS file is served from the app with a content hash for caching."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "dashboard" / "app.css"


@cache
def stylesheet() -> tuple[bytes, str]:
    """The CSS bytes and a short hash of them (the cache-busting version in the URL)."""
    body = STYLESHEET.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


@require_GET
def app_css(request: HttpRequest) -> HttpResponse:
    body, version = stylesheet()
    response = HttpResponse(body, content_type="text/css; charset=utf-8")
    if request.GET.get("v") == version:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "no-cache"
    return response
