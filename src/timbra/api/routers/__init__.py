"""One router per resource; timbra.api mounts them all under /api/v1."""

from __future__ import annotations

from typing import Any

from timbra.api.schemas.common import ErrorOut

# Documented error responses, shared by every operation (the bodies come from timbra.api.errors).
ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
