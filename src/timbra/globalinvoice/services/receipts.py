"""open_receipt: give a payment that was not invoiced nominatively its receipt code and its
place in a global invoice period.

Called when a payment starts waiting for fiscal data (payments/services/invoice_payment.py);
`open_missing_receipts` is the safety net the periodic job runs first, so a payment whose
call was lost still ends in a CFDI.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from timbra.domain.global_periods import GlobalPeriod, Periodicity, period_containing
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.services.configure import ensure_settings
from timbra.payments.models import Payment

# Crockford-like alphabet: no 0/O, 1/I/L, so a code read aloud or typed from a ticket survives.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 13  # 31^13 ≈ 2^64: unguessable even before the page's rate limit
BATCH = 500


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """What a person typed ("abcd-efgh-jkmnp", spaces, lower case) as stored."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def period_of(paid_at: datetime, periodicity: Periodicity, tz_name: str) -> tuple[GlobalPeriod, datetime]:
    """The global period a payment belongs to (by its local date in the org's zone) and the
    instant it closes (local midnight after its last day; DST-safe through zoneinfo)."""
    tz = ZoneInfo(tz_name)
    period = period_containing(paid_at.astimezone(tz).date(), periodicity)
    return period, datetime.combine(period.end, time(0), tzinfo=tz)


def open_receipt(payment: Payment, *, as_of: datetime) -> Receipt:
    """The payment's receipt, created once (unique per payment)."""
    existing = Receipt.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    org = payment.org
    settings = ensure_settings(org, as_of=as_of)
    period, closes_at = period_of(payment.paid_at, Periodicity(settings.periodicity), org.timezone)
    deadline = min(payment.paid_at + timedelta(days=settings.claim_days), closes_at)
    for _ in range(3):  # a code collision (≈ never) just draws again
        try:
            with transaction.atomic():
                return Receipt.objects.create(
                    org=org, livemode=payment.livemode, payment=payment, code=new_code(),
                    number=(payment.charge_id or payment.key)[:100], currency=payment.currency,
                    amount=payment.amount, forma_pago=payment.forma_pago, paid_at=payment.paid_at,
                    period_key=period.key, closes_at=closes_at, claim_deadline=deadline,
                    created_at=as_of, updated_at=as_of,
                )  # fmt: skip
        except IntegrityError:
            existing = Receipt.objects.filter(payment=payment).first()
            if existing is not None:
                return existing  # a concurrent worker opened it
    raise RuntimeError("no receipt code could be drawn")


def open_missing_receipts(*, as_of: datetime) -> int:
    """Receipts for payments waiting for fiscal data that have none yet."""
    waiting = list(
        Payment.objects.filter(status=Payment.AWAITING_FISCAL_DATA, receipt__isnull=True, invoice__isnull=True)
        .select_related("org")
        .order_by("pk")[:BATCH]
    )
    for payment in waiting:
        open_receipt(payment, as_of=as_of)
    return len(waiting)
