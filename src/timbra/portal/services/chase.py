"""The chase loop: a payment from a customer without usable fiscal data emails them the portal
link at once, then reminders on the org's schedule (models.ChasePolicy), until the data arrives.

Stopping needs no bookkeeping: every email is composed at send time and skipped once the
payment is no longer chased (`still_chased`): its data arrived ("awaiting_fiscal_data" is over),
or its receipt left "open" because the factura global took it, a customer claimed it by
autofactura, or it was held out of the global (issue 12 §4). `chase_deadline` is the moment the
charge goes to the global invoice: its receipt's period close (globalinvoice), else the end of
the payment's month in the org's time zone (a monthly global).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from timbra.globalinvoice.models import Receipt
from timbra.notices import outbox
from timbra.notices.models import NoticeLog
from timbra.notices.services import send_notice
from timbra.orgs.models import Org
from timbra.payments.models import Payment
from timbra.portal.models import DEFAULT_REMINDER_DAYS, ChasePolicy

MAX_REMINDERS = 6
MAX_REMINDER_DAY = 60


def still_chased(payment: Payment) -> bool:
    """Waiting for fiscal data, and its receipt (if any) still open to a claim."""
    if payment.status != Payment.AWAITING_FISCAL_DATA:
        return False
    receipt = Receipt.objects.filter(payment_id=payment.pk).values_list("status", flat=True).first()
    return receipt in (None, Receipt.OPEN)


def chase_deadline(payment: Payment) -> datetime:
    """When the charge goes to the factura global if the customer gives no data (org time zone)."""
    tz = ZoneInfo(payment.org.timezone)
    closes_at = Receipt.objects.filter(payment_id=payment.pk).values_list("closes_at", flat=True).first()
    if closes_at is not None:
        return closes_at.astimezone(tz)
    local = payment.paid_at.astimezone(tz)
    first_next = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0,
                                                                   microsecond=0)
    return first_next.astimezone(tz)


def policy_of(org: Org) -> ChasePolicy:
    """The org's chase policy (the default until the org changes it: reminders on days 2, 5, 10)."""
    return ChasePolicy.objects.filter(org=org).first() or ChasePolicy(
        org=org, enabled=True, reminder_days=list(DEFAULT_REMINDER_DAYS))


def set_chase_policy(org: Org, *, enabled: bool, reminder_days: list[int], as_of: datetime) -> ChasePolicy:
    """Save the org's chase policy. Days are after the payment, distinct, 1..60, at most 6."""
    days = sorted({int(d) for d in reminder_days})
    if len(days) > MAX_REMINDERS or any(d < 1 or d > MAX_REMINDER_DAY for d in days):
        from timbra.invoicing.errors import InvoicingError

        raise InvoicingError("reminder_days_invalid", f"Indica hasta {MAX_REMINDERS} días distintos, "
                             f"entre 1 y {MAX_REMINDER_DAY}, contados desde el cobro.", field="reminder_days")
    with transaction.atomic():
        policy, _ = ChasePolicy.objects.update_or_create(
            org=org, defaults={"enabled": enabled, "reminder_days": days, "updated_at": as_of})
    return policy


def request_fiscal_data(payment_id: int, *, as_of: datetime) -> str:
    """Email the payer of a waiting payment the portal link, once (the outbox row is unique)."""
    payment = Payment.objects.select_related("org").filter(pk=payment_id).first()
    if payment is None or not still_chased(payment) or not policy_of(payment.org).enabled:
        return "nothing"
    row = outbox.reserve(org_id=payment.org_id, payment=payment, kind=NoticeLog.FISCAL_DATA_REQUEST, index=0,
                         created_at=as_of)
    if row is None:
        return "duplicate"
    return send_notice(row, as_of=as_of)


def reserve_due_reminders(*, as_of: datetime) -> int:
    """Reserve the latest reminder due for each waiting payment (an old payment under a new
    policy gets one reminder, not all the missed ones), before its deadline."""
    reserved = 0
    waiting = (Payment.objects.filter(status=Payment.AWAITING_FISCAL_DATA, paid_at__lte=as_of)
               .filter(Q(receipt__isnull=True) | Q(receipt__status=Receipt.OPEN))
               .select_related("org").order_by("pk"))
    policies: dict[int, ChasePolicy] = {}
    for payment in waiting.iterator(chunk_size=500):
        policy = policies.setdefault(payment.org_id, policy_of(payment.org))
        if not policy.enabled or as_of >= chase_deadline(payment):
            continue
        due = [i for i, day in enumerate(sorted(policy.reminder_days), start=1)
               if payment.paid_at + timedelta(days=day) <= as_of]
        if not due or NoticeLog.objects.filter(payment=payment, kind=NoticeLog.FISCAL_DATA_REQUEST,
                                               index__gte=due[-1]).exists():
            continue
        reserved += outbox.reserve(org_id=payment.org_id, payment=payment, kind=NoticeLog.FISCAL_DATA_REQUEST,
                                   index=due[-1], created_at=as_of) is not None
    return reserved


def send_due_reminders(*, as_of: datetime) -> dict[str, int]:
    """The periodic job's call: reserve due reminders (and the emails about invoices held for the
    customer's data, services/chase_held.py), then send every pending portal email."""
    from timbra.portal.services.chase_held import reserve_held_invoice_requests

    report = {"reserved": reserve_due_reminders(as_of=as_of) + reserve_held_invoice_requests(as_of=as_of)}
    pending = outbox.claimable(as_of).filter(
        kind__in=(NoticeLog.FISCAL_DATA_REQUEST, NoticeLog.PORTAL_LINK, NoticeLog.HELD_FISCAL_DATA))
    for row in pending.order_by("pk")[:500]:
        outcome = send_notice(row, as_of=as_of)
        report[outcome] = report.get(outcome, 0) + 1
    return report
