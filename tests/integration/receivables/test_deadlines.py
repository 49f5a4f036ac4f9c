"""REP deadlines: when each REP is due, which are still pending, and the daily alert email."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tests.factories import MX, NOW
from tests.integration.receivables.conftest import D
from timbra.domain.status import InvoiceStatus
from timbra.receivables.models import RepAlert
from timbra.receivables.selectors import rep_deadline, reps_due
from timbra.receivables.services.alert_due_reps import alert_due_reps
from timbra.receivables.services.configure import configure_reps
from timbra.receivables.services.void_payment import void_payment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fecha_pago", "day", "deadline"),
    [
        (datetime(2026, 11, 19, 12, tzinfo=MX), 5, date(2026, 12, 5)),
        (datetime(2026, 12, 31, 23, 30, tzinfo=MX), 5, date(2027, 1, 5)),  # December → January of next year
        (datetime(2027, 1, 15, 9, tzinfo=MX), 31, date(2027, 2, 28)),  # a day past February's end
        (datetime(2026, 11, 19, 12, tzinfo=MX), 10, date(2026, 12, 10)),  # the older 10th rule
        # 05:30 UTC on Dec 1 is still November 30 in Mexico City: the org's month counts
        (datetime(2026, 12, 1, 5, 30, tzinfo=ZoneInfo("UTC")), 5, date(2026, 12, 5)),
    ],
)
def test_a_rep_is_due_on_the_configured_day_of_the_month_after_the_payment(fecha_pago, day, deadline):
    assert rep_deadline(fecha_pago, tz=MX, deadline_day=day) == deadline


@pytest.fixture
def pending(org, customer, stamped, pay):
    """A payment whose REP is held (the customer's name no longer matches the SAT's registry),
    one whose REP was stamped, and the pending one's deadline (Dec 5 by default)."""
    invoice = stamped()
    issued = pay("100.00", [(invoice, D("100.00"))])
    customer.nombre = "UNIVERSIDAD ROBOTICA"
    customer.save(update_fields=["nombre"])
    held = pay("200.00", [(invoice, D("200.00"))])
    held.rep_invoice.refresh_from_db()
    assert held.rep_invoice.status == InvoiceStatus.HELD
    issued.rep_invoice.refresh_from_db()
    assert issued.rep_invoice.status == InvoiceStatus.DELIVERED
    return held


def test_reps_due_lists_payments_whose_rep_is_not_stamped_with_their_deadline(org, pending):
    # when the org asks on Nov 20 what is due
    due = reps_due(org, as_of=NOW)
    # then only the held REP's payment is there, due on Dec 5 (15 days left)
    assert [(d.payment.pk, d.deadline, d.days_left, d.overdue) for d in due] == [
        (pending.pk, date(2026, 12, 5), 15, False)
    ]
    assert reps_due(org, as_of=NOW, livemode=True) == []
    # and with the deadline moved to the 10th, the same REP has 20 days
    configure_reps(org, rep_serie="P", rep_deadline_day=10, as_of=NOW)
    assert [d.days_left for d in reps_due(org, as_of=NOW)] == [20]
    # and once a late REP is overdue it says so
    assert reps_due(org, as_of=datetime(2026, 12, 12, 10, tzinfo=MX))[0].overdue


def test_a_voided_payment_is_no_longer_due(org, pending):
    void_payment(pending, actor="pruebas", as_of=NOW)
    assert reps_due(org, as_of=NOW) == []


def test_the_org_is_emailed_in_spanish_about_reps_due_within_two_days_once_a_day(org, pending):
    mail.outbox.clear()
    # given nothing is urgent ten days before the deadline
    assert alert_due_reps(as_of=datetime(2026, 11, 25, 10, tzinfo=MX)) == 0
    # when the job runs two days before it
    dec3 = datetime(2026, 12, 3, 9, tzinfo=MX)
    assert alert_due_reps(as_of=dec3) == 1
    # then the org gets one email in Spanish naming the payment, the REP, the deadline and why it is held
    (message,) = mail.outbox
    assert message.to == ["facturacion@kemper.example"]
    assert message.subject == "Complementos de pago por emitir: 1"
    body = message.body
    assert "Pago de 200.00 MXN de UNIVERSIDAD ROBOTICA (URE180429TM6), recibido el 19/11/2026" in body
    assert f"complemento {pending.rep_invoice.serie_folio} en estado «Detenida»" in body
    assert "fecha límite 05/12/2026, vence en 2 días" in body and "Motivo:" in body
    # and the hourly re-runs that day send nothing more
    assert alert_due_reps(as_of=dec3 + timedelta(hours=5)) == 0
    assert len(mail.outbox) == 1
    # and the next day, now overdue later on, it is repeated once
    assert alert_due_reps(as_of=datetime(2026, 12, 7, 8, 30, tzinfo=MX)) == 1
    assert mail.outbox[1].subject == "Complementos de pago por emitir: 1 (1 vencidos)"
    assert "venció hace 2 días" in mail.outbox[1].body
    assert RepAlert.objects.count() == 2


def test_no_alert_is_sent_before_8_in_the_orgs_morning(org, pending):
    mail.outbox.clear()
    assert alert_due_reps(as_of=datetime(2026, 12, 4, 7, 59, tzinfo=MX)) == 0
    assert mail.outbox == [] and not RepAlert.objects.exists()


def test_a_failed_email_is_retried_by_the_next_run(org, pending, monkeypatch):
    # given the mail server fails once
    def broken(*args, **kwargs):
        raise OSError("SMTP caído")

    monkeypatch.setattr("timbra.receivables.services.alert_due_reps.send_mail", broken)
    with pytest.raises(OSError):
        alert_due_reps(as_of=datetime(2026, 12, 4, 9, tzinfo=MX))
    # then the day's claim was released, and the next run sends it
    monkeypatch.undo()
    assert not RepAlert.objects.exists()
    assert alert_due_reps(as_of=datetime(2026, 12, 4, 10, tzinfo=MX)) == 1
