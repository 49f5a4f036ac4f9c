"""Reads about an org: its PAC configuration, what stops it from going live, its onboarding
progress and how many stamps it used per month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.db.models.functions import TruncMonth

from timbra.domain.taxpayer import Problem
from timbra.orgs.csds import NoUsableCsd, active_csd
from timbra.orgs.models import Org, OrgPac
from timbra.orgs.pac_settings import PACS, decrypt_credentials

PacConfig = tuple[str, dict[str, str], str | None, bool]


def org_pac_config(org: Org) -> PacConfig | None:
    """(name, credentials, base_url, test_environment) of the PAC `org` chose, or None.

    What `invoicing.pacs.pac_for` builds the adapter from (through `pac_from_config`) for the
    org's live invoices once it has switched to live. Credentials come back decrypted: keep them
    in memory only."""
    row = OrgPac.objects.filter(org=org).first()
    if row is None:
        return None
    return (row.name, decrypt_credentials(org.pk, row.credentials_encrypted), row.base_url or None,
            row.test_environment)


def live_blockers(org: Org, *, as_of: datetime) -> list[Problem]:
    """Why `org` cannot switch to live now (empty: it can). No network call: the PAC connection
    itself is checked by `orgs.onboarding.go_live`."""
    problems: list[Problem] = []
    try:
        active_csd(org, as_of=as_of)
    except NoUsableCsd as exc:
        problems.append(Problem(exc.code, "csd", exc.message))
    pac = OrgPac.objects.filter(org=org).only("name", "test_environment").first()
    if pac is None:
        problems.append(Problem("pac_not_configured", "pac",
                                "Elige tu PAC y guarda sus credenciales: sin un PAC real las facturas de "
                                "producción no se pueden timbrar."))
    elif pac.name == "sandbox":
        problems.append(Problem("pac_is_sandbox", "pac",
                                "El PAC de pruebas de Timbra no da validez fiscal: elige un PAC real "
                                "(Finkok, SW sapien o Diverza)."))
    elif pac.test_environment:
        problems.append(Problem("pac_test_environment", "pac",
                                f"Tu PAC ({PACS[pac.name].label}) está en su ambiente de pruebas, cuyos timbres "
                                "no tienen validez fiscal: cámbialo al ambiente de producción."))
    return problems


@dataclass(frozen=True)
class OnboardingProgress:
    """Which wizard steps are done, derived from the data itself (nothing to keep in sync)."""

    company: bool
    csd: bool
    pac: bool
    customer: bool
    invoice: bool
    live: bool

    @property
    def complete(self) -> bool:
        return self.company and self.csd and self.pac and self.customer and self.invoice and self.live


def onboarding_progress(org: Org | None, *, as_of: datetime) -> OnboardingProgress:
    from timbra.customers.models import Customer
    from timbra.invoicing.models import Invoice

    if org is None:
        return OnboardingProgress(False, False, False, False, False, False)
    try:
        active_csd(org, as_of=as_of)
        csd_ok = True
    except NoUsableCsd:
        csd_ok = False
    return OnboardingProgress(
        company=True, csd=csd_ok, pac=OrgPac.objects.filter(org=org).exists(),
        customer=Customer.objects.filter(org=org, livemode=False).exists(),
        invoice=Invoice.objects.filter(org=org, livemode=False).exists(),
        live=org.live_enabled_at is not None,
    )


@dataclass(frozen=True)
class StampMonth:
    month: date  # first day of the month, in the org's timezone
    test: int
    live: int


def stamps_per_month(org: Org, *, as_of: datetime, months: int = 12) -> list[StampMonth]:
    """Stamped CFDIs (invoices, credit notes, payment complements) per month and mode, newest
    first, the last `months` months in the org's timezone. A CFDI cancelled later still used its
    stamp, so it counts in the month it was stamped."""
    from timbra.invoicing.models import Invoice

    zone = ZoneInfo(org.timezone)
    local = as_of.astimezone(zone)
    firsts: list[date] = []
    year, month = local.year, local.month
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    start = datetime(firsts[-1].year, firsts[-1].month, 1, tzinfo=zone)
    rows = (Invoice.objects.filter(org=org, stamped_at__isnull=False, stamped_at__gte=start)
            .annotate(month=TruncMonth("stamped_at", tzinfo=zone)).values("month", "livemode")
            .annotate(count=Count("id")).order_by())
    counts: dict[tuple[date, bool], int] = {}
    for row in rows:
        first = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        counts[(first, row["livemode"])] = row["count"]
    return [StampMonth(first, counts.get((first, False), 0), counts.get((first, True), 0)) for first in firsts]
