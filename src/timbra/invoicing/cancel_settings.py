"""Per-org cancellation choices (issue 11): read them, and change them (audit in the settings row)."""

from __future__ import annotations

from datetime import datetime

from timbra.invoicing.models import CancellationSettings
from timbra.orgs.models import Org


def settings_for(org: Org) -> CancellationSettings:
    """The org's settings, or the defaults (unsaved) when it never changed them."""
    return CancellationSettings.objects.filter(org=org).first() or CancellationSettings(org=org)


def configure_cancellation(org: Org, *, cancel_on_gateway_void: bool, cancel_on_full_refund: bool,
                           as_of: datetime) -> CancellationSettings:
    """Choose whether a gateway's void (motive 02) or a refund of the whole charge (motive 03) cancels
    the CFDI at the SAT by itself."""
    row, _ = CancellationSettings.objects.update_or_create(
        org=org, defaults={"cancel_on_gateway_void": cancel_on_gateway_void,
                           "cancel_on_full_refund": cancel_on_full_refund, "updated_at": as_of},
    )
    return row
