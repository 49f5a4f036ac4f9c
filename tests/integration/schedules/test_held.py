"""A schedule's invoice held by the pre-stamp check tells the business, once per invoice."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from tests.factories import NOW
from tests.integration.schedules.conftest import at, make_schedule
from timbra.customers.services import update_customer
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.actions import retry_invoice
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.schedules.models import ScheduleRun
from timbra.schedules.services.issue import issue_due_invoices
from timbra.schedules.services.notify_held import notify_held_invoices

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_invoice(org, customer, django_capture_on_commit_callbacks):
    """A schedule pinned to uso G03 whose customer moved to régimen 610 (G03 is not allowed with it)."""
    schedule = make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20),
                             uso_cfdi="G03", name="Iguala contable")
    # the customer's own data stays valid (S01 goes with 610), so the service accepts the change
    update_customer(customer, {"regimen_fiscal": "610", "uso_cfdi": "S01"}, as_of=NOW)
    with django_capture_on_commit_callbacks(execute=True):  # the pipeline runs (immediate queue)
        issue_due_invoices(as_of=NOW)
    invoice = Invoice.objects.get(source="schedule")
    return schedule, invoice


def test_the_pre_stamp_check_holds_the_schedule_invoice_with_its_reason(held_invoice):
    _, invoice = held_invoice
    assert invoice.status == InvoiceStatus.HELD
    assert invoice.hold_code == "CFDI40161" and "610" in invoice.hold_message


def test_the_business_is_emailed_once_in_spanish(held_invoice, org):
    schedule, invoice = held_invoice
    mail.outbox.clear()
    # when the notifier runs twice (every 5 minutes)
    sent = notify_held_invoices(as_of=NOW)
    again = notify_held_invoices(as_of=NOW)
    # then one email to the org, naming the invoice, the customer, the period and the reason
    assert (sent, again) == (1, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [org.email]
    assert message.subject == f"Factura detenida: {invoice.serie_folio} de UNIVERSIDAD ROBOTICA ESPAÑOLA"
    assert "«Iguala contable»" in message.body and "noviembre 2026" in message.body
    assert invoice.hold_message in message.body and "No se perdió" in message.body
    assert schedule.changes.filter(kind="hold_notified").count() == 1


def test_an_invoice_held_again_after_a_retry_is_not_notified_twice(held_invoice):
    _, invoice = held_invoice
    notify_held_invoices(as_of=NOW)
    mail.outbox.clear()
    # when someone retries without fixing the data, and it is held again
    retry_invoice(invoice, actor="panel", as_of=NOW)
    process_invoice(invoice.pk, as_of=NOW)
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.HELD
    # then no second email for the same invoice
    assert notify_held_invoices(as_of=NOW) == 0 and mail.outbox == []


def test_invoices_that_are_not_held_are_not_notified(org, customer, django_capture_on_commit_callbacks):
    make_schedule(org, customer, as_of=at(2026, 11, 1), anchor_date=date(2026, 11, 20))
    with django_capture_on_commit_callbacks(execute=True):
        issue_due_invoices(as_of=NOW)
    assert Invoice.objects.get(source="schedule").status == InvoiceStatus.DELIVERED
    mail.outbox.clear()
    assert notify_held_invoices(as_of=NOW) == 0 and mail.outbox == []
    assert ScheduleRun.objects.get().hold_notified_at is None
