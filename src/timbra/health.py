"""GET /healthz: is this instance able to do its job (database, queue)?"""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse

from timbra import jobs

log = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the pending job count when the database and queue answer, else 503."""
    checks: dict[str, object] = {}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        log.exception("health check: database")
        checks["database"], healthy = "error", False
    try:
        checks["queue_pending"] = jobs.queue().pending_count()
    except Exception:
        log.exception("health check: queue")
        checks["queue"], healthy = "error", False
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
