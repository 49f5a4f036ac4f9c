"""JSON numbers become Decimal, never float: 1158.84 must stay 1158.84 (STYLE.md §1)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, cast

from django.http import HttpRequest
from ninja.parser import Parser


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} no es un número válido")


class DecimalJSONParser(Parser):
    """ninja's parser, with `parse_float=Decimal` and NaN/Infinity refused."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return cast(dict[str, Any], json.loads(request.body, parse_float=Decimal, parse_constant=_no_constants))


def load_multipart(request: HttpRequest) -> None:
    """Parse a multipart PUT/PATCH body into request.POST/FILES.

    Django parses multipart only for POST (Django ticket #12635). Ninja's fix needs a
    project-wide middleware; doing the same for the one request that needs it keeps the
    settings untouched."""
    if request.method == "POST" or request.content_type != "multipart/form-data" or hasattr(request, "_files"):
        return
    method = request.method
    request.method = request.META["REQUEST_METHOD"] = "POST"
    try:
        request._load_post_and_files()  # type: ignore[attr-defined]
    finally:
        request.method = request.META["REQUEST_METHOD"] = method
