"""Reads behind "Inicio": what was invoiced and collected, where invoices stand, what the machine
did on its own, stamps, MRR and what comes due this week (issue 13 §1).

Every figure is one aggregate query over an indexed range (org, mode, date): no caches that go
stale. Months are calendar months in the org's timezone; money is MXN only (other currencies are
not converted: their rate is the one of each document, and mixing would mislead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, Max, OuterRef, Sum
from django.db.models.functions import TruncMonth

from timbra.domain.status import LABELS, InvoiceStatus
from timbra.invoicing.models import Invoice, InvoiceEvent
from timbra.orgs.models import Org
from timbra.orgs.selectors import stamps_per_month
from timbra.payments.models import Payment
from timbra.receivables.models import ReceivedPayment
from timbra.schedules import selectors as schedule_selectors
from timbra.schedules.models import SOURCE as SCHEDULE_SOURCE
from timbra.schedules.preview import PreviewInvoice

ISSUED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
# Timeline events that mean a person (or the customer) had to step in.
HUMAN_STEP_EVENTS = ("held", "retry", "email_retry")
GATEWAY_SOURCES = ("stripe", "conekta", "mercadopago")  # counted as gateway Payments already
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Compared:
    this_month: Decimal
    last_month: Decimal

    @property
    def change_pct(self) -> int | None:
        if not self.last_month:
            return None
        return int(round((self.this_month - self.last_month) * 100 / self.last_month))


@dataclass(frozen=True)
class MonthValue:
    month: date
    value: Decimal


@dataclass(frozen=True)
class HeldReason:
    code: str
    message: str
    count: int


@dataclass(frozen=True)
class Home:
    invoiced: Compared
    collected: Compared
    by_status: list[tuple[str, str, int]]  # (status, label, count)
    held: list[HeldReason]
    delivered_this_month: int
    auto_delivered: int
    documents_this_month: int
    minutes_per_invoice: int
    stamps_this_month: int
    mrr: schedule_selectors.Mrr
    recurring_trend: list[MonthValue]  # oldest first
    upcoming: list[PreviewInvoice]

    @property
    def auto_delivered_pct(self) -> int | None:
        if not self.delivered_this_month:
            return None
        return int(self.auto_delivered * 100 / self.delivered_this_month)

    @property
    def hours_saved(self) -> Decimal:
        return (Decimal(self.documents_this_month * self.minutes_per_invoice) / 60).quantize(Decimal("0.1"))


def month_starts(org: Org, *, as_of: datetime, months: int) -> list[datetime]:
    """The first instant of the current month and of the `months - 1` before it, newest first."""
    zone = ZoneInfo(org.timezone)
    local = as_of.astimezone(zone)
    year, month = local.year, local.month
    starts = []
    for _ in range(months):
        starts.append(datetime(year, month, 1, tzinfo=zone))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts


def _next_month(start: datetime) -> datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


def _invoiced(org: Org, livemode: bool, start: datetime, end: datetime) -> Decimal:
    total = (Invoice.objects.filter(org=org, livemode=livemode, stamped_at__gte=start, stamped_at__lt=end,
                                    tipo_de_comprobante="I", moneda="MXN", status__in=ISSUED)
             .aggregate(s=Sum("total"))["s"])
    return total or ZERO


def _collected(org: Org, livemode: bool, start: datetime, end: datetime) -> Decimal:
    gateway = (Payment.objects.filter(org=org, livemode=livemode, paid_at__gte=start, paid_at__lt=end,
                                      currency="MXN").aggregate(s=Sum("amount"))["s"]) or ZERO
    manual = (ReceivedPayment.objects.filter(org=org, livemode=livemode, fecha_pago__gte=start, fecha_pago__lt=end,
                                             moneda_p="MXN", status=ReceivedPayment.RECORDED)
              .exclude(source__in=GATEWAY_SOURCES).aggregate(s=Sum("monto"))["s"]) or ZERO
    return gateway + manual


def _by_status(org: Org, livemode: bool) -> list[tuple[str, str, int]]:
    # One index-only count per state: a GROUP BY over years of history reads every row.
    invoices = Invoice.objects.filter(org=org, livemode=livemode)
    return [(status.value, LABELS[status], invoices.filter(status=status).count()) for status in InvoiceStatus]


def _held(org: Org, livemode: bool) -> list[HeldReason]:
    rows = (Invoice.objects.filter(org=org, livemode=livemode, status=InvoiceStatus.HELD)
            .values("hold_code").annotate(n=Count("id"), message=Max("hold_message")).order_by("-n")[:6])
    return [HeldReason(row["hold_code"] or "—", row["message"], row["n"]) for row in rows]


def _recurring_trend(org: Org, livemode: bool, starts: list[datetime]) -> list[MonthValue]:
    zone = ZoneInfo(org.timezone)
    rows = (Invoice.objects.filter(org=org, livemode=livemode, source=SCHEDULE_SOURCE, moneda="MXN",
                                   stamped_at__gte=starts[-1], status__in=ISSUED)
            .annotate(month=TruncMonth("stamped_at", tzinfo=zone)).values("month")
            .annotate(subtotal=Sum("subtotal"), descuento=Sum("descuento")).order_by())
    by_month = {}
    for row in rows:
        first = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        by_month[first] = (row["subtotal"] or ZERO) - (row["descuento"] or ZERO)
    return [MonthValue(s.date(), by_month.get(s.date(), ZERO)) for s in reversed(starts)]


def home(org: Org, *, livemode: bool, as_of: datetime) -> Home:
    """Everything "Inicio" shows, for `org` in one mode, as of `as_of`."""
    starts = month_starts(org, as_of=as_of, months=12)
    this_start, last_start = starts[0], starts[1]
    next_start = _next_month(this_start)
    month_invoices = Invoice.objects.filter(org=org, livemode=livemode)
    delivered = month_invoices.filter(status=InvoiceStatus.DELIVERED, status_changed_at__gte=this_start,
                                      status_changed_at__lt=next_start)
    human = InvoiceEvent.objects.filter(invoice=OuterRef("pk"), kind__in=HUMAN_STEP_EVENTS)
    # Automatic: created by a payment, a schedule, the global or the customer (source set), and
    # never held, retried or re-sent by a person on the way.
    auto = delivered.exclude(source="").exclude(Exists(human))
    documents = month_invoices.filter(stamped_at__gte=this_start, stamped_at__lt=next_start).count()
    stamps = stamps_per_month(org, as_of=as_of, months=1)[0]
    return Home(
        invoiced=Compared(_invoiced(org, livemode, this_start, next_start),
                          _invoiced(org, livemode, last_start, this_start)),
        collected=Compared(_collected(org, livemode, this_start, next_start),
                           _collected(org, livemode, last_start, this_start)),
        by_status=_by_status(org, livemode),
        held=_held(org, livemode),
        delivered_this_month=delivered.count(),
        auto_delivered=auto.count(),
        documents_this_month=documents,
        minutes_per_invoice=org.minutes_per_invoice,
        stamps_this_month=stamps.live if livemode else stamps.test,
        mrr=schedule_selectors.mrr(org, livemode=livemode, as_of=as_of),
        recurring_trend=_recurring_trend(org, livemode, starts),
        upcoming=schedule_selectors.upcoming(org, 7, livemode=livemode, as_of=as_of),
    )

