"""Reads of the global invoice and autofactura: what the dashboard, the portal and the
refunds path ask."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Sum

from timbra.domain.global_periods import GlobalPeriod, Periodicity, period_from_key
from timbra.globalinvoice.models import GlobalInvoiceSettings, Receipt
from timbra.globalinvoice.services.receipts import period_of
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org
from timbra.payments.models import Payment


def receipt_in_global(payment: Payment) -> Receipt | None:
    """The payment's receipt when a global invoice took it (with that invoice loaded)."""
    return (
        Receipt.objects.filter(payment_id=payment.pk, status=Receipt.IN_GLOBAL)
        .select_related("global_invoice__customer", "global_invoice__org")
        .first()
    )


def settings_of(org: Org) -> GlobalInvoiceSettings | None:
    return GlobalInvoiceSettings.objects.filter(org=org).first()


def autofactura_url(receipt: Receipt) -> str:
    """Where the customer invoices this receipt (the code is typed in, never in the URL)."""
    slug = GlobalInvoiceSettings.objects.values_list("portal_slug", flat=True).get(org_id=receipt.org_id)
    return f"{settings.TIMBRA_BASE_URL.rstrip('/')}/portal/autofactura/{slug}/"


def display_code(code: str) -> str:
    """ABCD-EFGH-JKMNP: easier to read off a ticket."""
    return "-".join((code[:4], code[4:8], code[8:]))


@dataclass(frozen=True)
class OpenPeriod:
    period: GlobalPeriod
    closes_at: datetime
    receipts: int
    total: Decimal
    by_currency: list[dict[str, object]]


def open_period(org: Org, *, livemode: bool, as_of: datetime) -> OpenPeriod:
    """The period running now (org's zone and periodicity) and its open receipts so far."""
    config = settings_of(org)
    periodicity = Periodicity(config.periodicity if config else Periodicity.MONTHLY)
    period, closes_at = period_of(as_of, periodicity, org.timezone)
    rows = (
        Receipt.objects.filter(org=org, livemode=livemode, period_key=period.key, status=Receipt.OPEN)
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("currency")
    )
    by_currency = [{"currency": r["currency"], "count": r["count"], "total": r["total"]} for r in rows]
    return OpenPeriod(
        period=period,
        closes_at=closes_at,
        receipts=sum(int(r["count"]) for r in by_currency),  # type: ignore[call-overload]
        total=sum((Decimal(r["total"]) for r in by_currency if r["currency"] == "MXN"), Decimal(0)),  # type: ignore[arg-type]
        by_currency=by_currency,
    )


def past_globals(org: Org, *, livemode: bool, limit: int = 50) -> list[Invoice]:
    return list(
        Invoice.objects.filter(org=org, livemode=livemode, source="global")
        .annotate(receipt_count=Count("global_receipts"))
        .order_by("-created_at", "-pk")[:limit]
    )


def period_label(invoice: Invoice) -> str:
    """"1 al 30 de noviembre de 2026" for a global invoice (its source_id holds the period)."""
    parts = invoice.source_id.split(":")
    return period_from_key(f"{parts[2]}:{parts[3]}").label() if len(parts) >= 5 else ""


def held_receipts(org: Org, *, livemode: bool) -> list[Receipt]:
    return list(Receipt.objects.filter(org=org, livemode=livemode, status=Receipt.HELD).order_by("-paid_at")[:100])


@dataclass(frozen=True)
class GlobalPreview:
    """What the next global invoice would say if the period closed with today's receipts."""

    period: GlobalPeriod
    closes_at: datetime
    informacion_global: dict[str, object]
    receipts: int
    totals: list[dict[str, object]]
    forma_pago: str
    deadline: datetime  # the SAT's 24 hours after the close


def preview_next(org: Org, *, livemode: bool, as_of: datetime) -> GlobalPreview:
    from dataclasses import asdict
    from datetime import timedelta

    current = open_period(org, livemode=livemode, as_of=as_of)
    largest = (
        Receipt.objects.filter(org=org, livemode=livemode, period_key=current.period.key, status=Receipt.OPEN)
        .exclude(forma_pago="99")
        .order_by("-amount", "paid_at", "pk")
        .values_list("forma_pago", flat=True)
        .first()
    )
    return GlobalPreview(
        period=current.period,
        closes_at=current.closes_at,
        informacion_global=asdict(current.period.informacion_global()),
        receipts=current.receipts,
        totals=current.by_currency,
        forma_pago=largest or "",
        deadline=current.closes_at + timedelta(hours=24),
    )
