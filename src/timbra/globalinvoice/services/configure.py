"""Per-org settings of the factura global and autofactura."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from timbra.domain.global_periods import LABELS, Periodicity, allowed_periodicities
from timbra.globalinvoice.errors import GlobalInvoiceError
from timbra.globalinvoice.models import GlobalInvoiceSettings
from timbra.orgs.models import Org

MAX_CLAIM_DAYS = 60


def ensure_settings(org: Org, *, as_of: datetime) -> GlobalInvoiceSettings:
    """The org's settings, created with the defaults (monthly, 7 days, refuse) on first use."""
    existing = GlobalInvoiceSettings.objects.filter(org=org).first()
    if existing is not None:
        return existing
    base = slugify(org.nombre)[:40] or "negocio"
    try:
        with transaction.atomic():
            return GlobalInvoiceSettings.objects.create(
                org=org, portal_slug=f"{base}-{secrets.token_hex(3)}", updated_at=as_of
            )
    except IntegrityError:  # a concurrent first use created it
        return GlobalInvoiceSettings.objects.get(org=org)


def configure_global_invoice(
    org: Org, *, periodicity: str, claim_days: int, after_global_policy: str, as_of: datetime
) -> GlobalInvoiceSettings:
    """Change how often the global closes, the claim window and the after-global policy.

    Receipts already open keep the period they were given (their key is stored)."""
    try:
        chosen = Periodicity(periodicity)
    except ValueError:
        raise GlobalInvoiceError("periodicity_invalid", "Elige una periodicidad válida.", field="periodicity") from None
    if chosen not in allowed_periodicities(org.regimen_fiscal):
        raise GlobalInvoiceError(
            "periodicity_not_allowed",
            f"La periodicidad {LABELS[chosen].lower()} solo la puede usar el régimen de incorporación fiscal (621).",
            field="periodicity",
        )
    if not 0 <= claim_days <= MAX_CLAIM_DAYS:
        raise GlobalInvoiceError(
            "claim_days_invalid", f"El plazo para facturar debe ser de 0 a {MAX_CLAIM_DAYS} días.", field="claim_days"
        )
    if after_global_policy not in dict(GlobalInvoiceSettings.POLICIES):
        raise GlobalInvoiceError("policy_invalid", "Elige qué hacer con un ticket ya incluido en la global.",
                                 field="after_global_policy")
    settings = ensure_settings(org, as_of=as_of)
    with transaction.atomic():
        GlobalInvoiceSettings.objects.filter(pk=settings.pk).update(
            periodicity=chosen.value, claim_days=claim_days, after_global_policy=after_global_policy,
            updated_at=as_of,
        )
    settings.refresh_from_db()
    return settings
