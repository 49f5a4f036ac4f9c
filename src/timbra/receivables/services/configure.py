"""configure_reps: an org's REP serie and deadline day."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from timbra.invoicing.errors import InvoicingError
from timbra.orgs.models import Org, Series
from timbra.receivables.models import ReceivablesSettings


def configure_reps(org: Org, *, rep_serie: str, rep_deadline_day: int, as_of: datetime) -> ReceivablesSettings:
    """Save the serie REPs are numbered in and the day of the following month they are due.

    The day is a setting because sources disagree (RMF since 2022: the 5th; older rules and
    many third parties: the 10th; reference/cfdi.md §4.3). Days past a month's end mean its
    last day."""
    serie = rep_serie.strip().upper()
    if not 1 <= len(serie) <= 25 or "|" in serie:
        raise InvoicingError("serie_invalid", "La serie de los complementos de pago debe tener de 1 a 25 "
                             "caracteres, sin «|».", field="rep_serie")
    if not 1 <= rep_deadline_day <= 31:
        raise InvoicingError("deadline_day_invalid", "El día límite debe estar entre 1 y 31.",
                             field="rep_deadline_day")
    with transaction.atomic():
        settings, _ = ReceivablesSettings.objects.update_or_create(
            org=org, defaults={"rep_serie": serie, "rep_deadline_day": rep_deadline_day, "updated_at": as_of}
        )
        # The folio counter exists from now on, so the serie's first REP is folio 1.
        Series.objects.get_or_create(org=org, code=serie)
    return settings
