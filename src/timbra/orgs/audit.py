"""The org's audit trail (OrgEvent): written by the services inside their transaction.

`record_change` keeps who, when, from where (dashboard, API, job…) and before -> after of the
fields that changed. Secrets never reach it: fields whose name says secret are masked, and the
services pass only what a person may see again (an API key's prefix, a CSD's number)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from timbra.orgs.models import Org, OrgEvent

SECRET_WORDS = ("password", "secret", "token", "key_encrypted", "credentials", "hash")
MASK = "••••"


def record_org_event(org: Org, kind: str, message: str, *, actor: str, as_of: datetime,
                     data: dict[str, Any] | None = None, object_type: str = "", object_id: object = "",
                     source: str = "") -> OrgEvent:
    """One audit row. `message` is Spanish; neither it nor `data` may carry a secret."""
    return OrgEvent.objects.create(org=org, at=as_of, kind=kind, actor=actor[:120], message=message,
                                   data=data or {}, object_type=object_type, object_id=str(object_id or ""),
                                   source=source)


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value changed; secret-looking fields masked."""
    diff = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old != new:
            masked = any(word in name for word in SECRET_WORDS)
            diff[name] = [MASK, MASK] if masked else [_plain(old), _plain(new)]
    return diff


def record_change(org: Org, kind: str, message: str, *, object_type: str, object_id: object,
                  before: dict[str, Any], after: dict[str, Any], actor: str, source: str,
                  as_of: datetime) -> OrgEvent | None:
    """Audit a change of one object; nothing is written when nothing changed."""
    diff = changes(before, after)
    if not diff:
        return None
    return record_org_event(org, kind, message, actor=actor, as_of=as_of, data={"changes": diff},
                            object_type=object_type, object_id=object_id, source=source)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
