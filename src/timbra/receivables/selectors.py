"""Read queries for receivables: balances of PPD invoices, payments, and REPs coming due.

What an invoice still owes is computed from its payment applications, not stored on the
invoice: the applications are the one truth (a cached `paid_amount` column would be one more
thing a cancelled REP has to remember to fix). An application counts while it is active,
its payment is not voided and its REP is not cancelled.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from timbra.domain.money import currency_decimals, round_amount
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org
from timbra.receivables.models import PaymentApplication, ReceivablesSettings, ReceivedPayment

PENDIENTE = "pendiente"
PARCIAL = "parcial"
PAGADA = "pagada"
PAYMENT_STATUS_LABELS = {PENDIENTE: "Pendiente de pago", PARCIAL: "Pagada parcialmente", PAGADA: "Pagada"}

ISSUED = (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
# A REP in one of these states has not reached the SAT yet: its deadline still runs.
REP_PENDING = (InvoiceStatus.DRAFT, InvoiceStatus.SEALED, InvoiceStatus.HELD)


def in_currency(value: Decimal, moneda: str) -> Decimal:
    """`value` at `moneda`'s c_Moneda decimals ("1000.0000" as stored → "1000.00" for MXN)."""
    return round_amount(value, currency_decimals(moneda))


def settings_for(org: Org) -> ReceivablesSettings:
    """The org's REP settings, or the defaults (unsaved) when it never changed them."""
    found = ReceivablesSettings.objects.filter(org=org).first()
    return found or ReceivablesSettings(org=org)


def counted_applications(invoices: Iterable[Invoice | int]) -> QuerySet[PaymentApplication]:
    """The applications that reduce these invoices' balances (see the module docstring)."""
    ids = [i if isinstance(i, int) else i.pk for i in invoices]
    return (
        PaymentApplication.objects.filter(invoice_id__in=ids, active=True)
        .exclude(payment__status=ReceivedPayment.CANCELLED)
        .exclude(payment__rep_invoice__status=InvoiceStatus.CANCELLED)
    )


def paid_amount(invoice: Invoice) -> Decimal:
    """What payments with a live REP have paid of `invoice`, in its currency."""
    paid = sum(counted_applications([invoice]).values_list("imp_pagado", flat=True), Decimal(0))
    return in_currency(paid, invoice.moneda)


def open_balance(invoice: Invoice) -> Decimal:
    """What `invoice` still owes: its Total minus what was paid (0 for PUE: paid at issue)."""
    if invoice.metodo_pago != "PPD":
        return Decimal(0)
    return invoice.total - paid_amount(invoice)


def payment_status(invoice: Invoice) -> str | None:
    """«pendiente», «parcial» or «pagada» for an issued Ingreso; None for anything else.

    PUE means paid in one exhibition at issue (RMF 2.7.1.44), so a PUE invoice is "pagada"."""
    if invoice.tipo_de_comprobante != "I" or invoice.status not in ISSUED:
        return None
    if invoice.metodo_pago != "PPD":
        return PAGADA
    paid = paid_amount(invoice)
    if paid <= 0:
        return PENDIENTE
    return PAGADA if paid >= invoice.total else PARCIAL


def payments_for(org: Org, *, livemode: bool) -> QuerySet[ReceivedPayment]:
    return (
        ReceivedPayment.objects.filter(org=org, livemode=livemode)
        .select_related("customer", "rep_invoice")
        .order_by("-created_at", "-pk")
    )


def get_payment(org: Org, payment_id: int, *, livemode: bool) -> ReceivedPayment | None:
    """The org's payment in that mode, with its applications, or None (another org's id too)."""
    return (
        payments_for(org, livemode=livemode)
        .prefetch_related("applications__invoice")
        .filter(pk=payment_id)
        .first()
    )


def open_ppd_invoices(org: Org, customer_id: int, *, livemode: bool) -> QuerySet[Invoice]:
    """The customer's issued PPD Ingresos, oldest first (auto-allocation pays these in order).
    Fully paid ones are still included; callers compare with `counted_applications`."""
    return Invoice.objects.filter(
        org=org, livemode=livemode, customer_id=customer_id, tipo_de_comprobante="I",
        metodo_pago="PPD", status__in=ISSUED,
    ).order_by("stamped_at", "pk")


# --- REP deadlines -------------------------------------------------------------------------------


def rep_deadline(fecha_pago: datetime, *, tz: ZoneInfo, deadline_day: int) -> date:
    """The last day to issue the REP of a payment: `deadline_day` of the month after the
    payment's month in the org's zone (clamped to that month's length)."""
    local = fecha_pago.astimezone(tz).date()
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return date(year, month, min(deadline_day, calendar.monthrange(year, month)[1]))



def with_rep_deadlines(org: Org, payments: Iterable[ReceivedPayment]) -> None:
    """Attach each payment's REP deadline as `rep_deadline` (one settings read for a whole page)."""
    tz, day = ZoneInfo(org.timezone), settings_for(org).rep_deadline_day
    for payment in payments:
        payment.rep_deadline = rep_deadline(payment.fecha_pago, tz=tz, deadline_day=day)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class DueRep:
    """A payment whose REP has not been stamped yet, and by when it must be."""

    payment: ReceivedPayment
    deadline: date
    days_left: int  # negative when overdue

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def reps_due(org: Org, *, as_of: datetime, livemode: bool | None = None) -> list[DueRep]:
    """Payments (not voided) whose REP is not stamped yet, soonest deadline first."""
    tz = ZoneInfo(org.timezone)
    day = settings_for(org).rep_deadline_day
    today = as_of.astimezone(tz).date()
    rows = ReceivedPayment.objects.filter(
        org=org, status=ReceivedPayment.RECORDED, rep_invoice__status__in=REP_PENDING
    ).select_related("customer", "rep_invoice")
    if livemode is not None:
        rows = rows.filter(livemode=livemode)
    due = []
    for payment in rows.order_by("fecha_pago", "pk"):
        deadline = rep_deadline(payment.fecha_pago, tz=tz, deadline_day=day)
        due.append(DueRep(payment=payment, deadline=deadline, days_left=(deadline - today).days))
    return sorted(due, key=lambda d: (d.deadline, d.payment.pk))
