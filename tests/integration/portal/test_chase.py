"""The chase loop: the payer of a payment without fiscal data is emailed at once, reminded on the
org's schedule, and left alone once the data arrives or the charge leaves "awaiting_fiscal_data"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from tests.integration.portal.conftest import ANA, anonymous_charge, path_of, portal_links
from timbra.globalinvoice.models import Receipt
from timbra.invoicing.errors import InvoicingError
from timbra.notices.models import NoticeLog
from timbra.payments.models import Payment
from timbra.portal.services.chase import chase_deadline, send_due_reminders, set_chase_policy

pytestmark = pytest.mark.django_db


def _requests() -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if "datos fiscales" in m.subject]


def test_reminders_follow_the_orgs_schedule_one_each(org, waiting_payment):
    # given the org reminds on days 1 and 3 after the payment
    set_chase_policy(org, enabled=True, reminder_days=[3, 1], as_of=waiting_payment.paid_at)
    paid = waiting_payment.paid_at
    assert len(_requests()) == 1  # the first email, at once
    # when the job runs every quarter hour for four days
    moment = paid
    while moment < paid + timedelta(days=4):
        send_due_reminders(as_of=moment)
        moment += timedelta(minutes=15)
    # then exactly two reminders went out, each saying it is one
    reminders = [m for m in _requests() if m.subject.startswith("Recordatorio")]
    assert len(reminders) == 2
    rows = NoticeLog.objects.filter(payment=waiting_payment).order_by("index")
    assert [(r.index, r.status) for r in rows] == [(0, "sent"), (1, "sent"), (2, "sent")]


def test_the_chase_stops_when_the_data_arrives(org, waiting_payment, browser):
    set_chase_policy(org, enabled=True, reminder_days=[1], as_of=waiting_payment.paid_at)
    (url,) = portal_links(_requests()[0])
    browser.post(path_of(url), ANA)
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == Payment.INVOICED
    mail.outbox.clear()
    report = send_due_reminders(as_of=waiting_payment.paid_at + timedelta(days=2))
    assert report["reserved"] == 0 and _requests() == []


def test_a_charge_taken_by_the_global_invoice_is_no_longer_chased(org, waiting_payment):
    # given a reminder reserved but not sent yet, when the global invoice takes the charge
    # (its receipt moves to "in_global": globalinvoice.services.issue)
    set_chase_policy(org, enabled=True, reminder_days=[1], as_of=waiting_payment.paid_at)
    row = NoticeLog.objects.create(org=org, payment=waiting_payment, kind=NoticeLog.FISCAL_DATA_REQUEST, index=1,
                                   created_at=waiting_payment.paid_at)
    assert Receipt.objects.filter(payment=waiting_payment, status=Receipt.OPEN).update(status=Receipt.IN_GLOBAL) == 1
    mail.outbox.clear()
    send_due_reminders(as_of=waiting_payment.paid_at + timedelta(days=2))
    row.refresh_from_db()
    assert row.status == NoticeLog.SKIPPED and _requests() == []


def test_no_reminder_after_the_deadline_of_the_global_invoice(org, waiting_payment):
    set_chase_policy(org, enabled=True, reminder_days=[1], as_of=waiting_payment.paid_at)
    deadline = chase_deadline(waiting_payment)
    # the close of the receipt's global period (monthly by default): the 1st, midnight, org time
    assert deadline == Receipt.objects.get(payment=waiting_payment).closes_at
    assert deadline.day == 1 and deadline > waiting_payment.paid_at
    assert send_due_reminders(as_of=deadline + timedelta(minutes=1))["reserved"] == 0


def test_an_org_that_turns_the_chase_off_sends_nothing(org, stripe_webhook):
    set_chase_policy(org, enabled=False, reminder_days=[], as_of=org.created_at)
    mail.outbox.clear()
    stripe_webhook(anonymous_charge())
    assert Payment.objects.get().status == Payment.AWAITING_FISCAL_DATA and _requests() == []


def test_the_reminder_days_are_checked(org):
    with pytest.raises(InvoicingError) as caught:
        set_chase_policy(org, enabled=True, reminder_days=[0, 90], as_of=org.created_at)
    assert caught.value.code == "reminder_days_invalid"


def test_a_customer_whose_invoice_is_held_for_their_data_gets_the_link_once(org, browser, frozen):
    from tests.factories import NOW, make_customer, make_invoice
    from timbra.domain.status import InvoiceStatus
    from timbra.invoicing.models import Invoice

    # given an invoice the PAC refused for the customer's name (CFDI40145)
    customer = make_customer(org, rfc="EWE1709045U0", nombre="EDGAR ERDMANN", regimen="601", cp="42501",
                             emails=["edgar@example.com"])
    with browser.capture(execute=True):
        invoice = make_invoice(org, customer)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD and invoice.hold_code == "CFDI40145"
    mail.outbox.clear()
    # when the chase job runs twice
    send_due_reminders(as_of=NOW)
    send_due_reminders(as_of=NOW + timedelta(minutes=15))
    # then the customer got one email with the reason and their link
    (message,) = [m for m in mail.outbox if "corrige tus datos fiscales" in m.subject]
    assert message.to == ["edgar@example.com"] and "CFDI40145" not in message.subject
    assert invoice.hold_message in message.body
    (url,) = portal_links(message)
    # and correcting the data there stamps the invoice
    browser.post(path_of(url), ANA)
    assert Invoice.objects.get(pk=invoice.pk).status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
