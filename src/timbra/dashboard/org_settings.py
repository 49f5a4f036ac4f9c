"""Update an org's presentation settings from the dashboard (email, colour, logo, serie).

Fiscal identity (RFC, razón social, régimen, CP) is not editable here: it must match the CSD
and the SAT's records, so it changes only through a new org setup by an operator.
"""

from __future__ import annotations

from django.db import transaction

from timbra.orgs.models import Org, Series


def update_org_settings(org: Org, *, email: str, brand_color: str, default_serie: str,
                        logo: bytes | None, remove_logo: bool) -> Org:
    """Save the settings; a new logo replaces the old one, `remove_logo` clears it.

    The serie's folio counter is created now so the first invoice of a new serie starts at 1."""
    org.email, org.brand_color, org.default_serie = email, brand_color.upper(), default_serie
    fields = ["email", "brand_color", "default_serie"]
    if logo is not None:
        org.logo = logo
        fields.append("logo")
    elif remove_logo:
        org.logo = None
        fields.append("logo")
    with transaction.atomic():
        org.save(update_fields=fields)
        Series.objects.get_or_create(org=org, code=default_serie)
    return org
