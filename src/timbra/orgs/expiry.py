"""Warn an org before its CSD expires: an expired CSD holds every invoice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail

from timbra.orgs.models import Csd

log = logging.getLogger(__name__)


def expiry_warning(csd: Csd, *, as_of: datetime) -> str | None:
    """Spanish warning when `csd` expires within its org's warning window, else None."""
    days = (csd.valid_to - as_of).days
    if days > csd.org.csd_warn_days:
        return None
    if days < 0:
        return f"Tu CSD {csd.no_certificado} venció el {csd.valid_to:%d/%m/%Y}: no se puede sellar ninguna factura."
    return (
        f"Tu CSD {csd.no_certificado} vence el {csd.valid_to:%d/%m/%Y} (en {days} días). "
        "Tramita uno nuevo en el SAT y súbelo a Timbra para no detener tu facturación."
    )


def warn_expiring_csds(*, as_of: datetime) -> int:
    """Email each org whose active CSD is about to expire, at most once a week."""
    sent = 0
    for csd in Csd.objects.filter(active=True).select_related("org"):
        warning = expiry_warning(csd, as_of=as_of)
        if warning is None or (csd.expiry_warned_at and as_of - csd.expiry_warned_at < timedelta(days=7)):
            continue
        if csd.org.email:
            send_mail("Tu certificado de sello digital está por vencer", warning,
                      settings.DEFAULT_FROM_EMAIL, [csd.org.email])
        Csd.objects.filter(pk=csd.pk).update(expiry_warned_at=as_of)
        log.warning("CSD expiry warning for org %s: %s", csd.org_id, warning)
        sent += 1
    return sent
