"""The org's audit trail (OrgEvent): written by the org services inside their transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from timbra.orgs.models import Org, OrgEvent


def record_org_event(org: Org, kind: str, message: str, *, actor: str, as_of: datetime,
                     data: dict[str, Any] | None = None) -> OrgEvent:
    """One audit row. `message` is Spanish; neither it nor `data` may carry a secret."""
    return OrgEvent.objects.create(org=org, at=as_of, kind=kind, actor=actor[:120], message=message,
                                   data=data or {})
