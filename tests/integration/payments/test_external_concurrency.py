"""The same sale reported twice at once (API retry racing the original, or the API racing a CSV
import): one payment, one invoice, one inbox record, and exactly one caller told "created"."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.concurrency import race
from tests.factories import NOW, make_customer, make_org
from timbra import jobs
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.external_payments import ExternalPaymentInput, record_external_payment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(frozen, monkeypatch):
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)  # stamping is not what races here
    org = make_org()
    return org, make_customer(org)


def _sale(customer_id: int, amount: str = "1160.00") -> ExternalPaymentInput:
    return ExternalPaymentInput(external_id="venta-1", amount=Decimal(amount), currency="MXN",
                                paid_at=datetime(2026, 11, 19, 12, tzinfo=NOW.tzinfo), forma_pago="03",
                                description="Consultoría", customer_id=customer_id)


def test_two_reports_of_one_sale_at_once_make_one_invoice(setup):
    org, customer = setup

    results, errors = race(*(lambda: record_external_payment(org, _sale(customer.pk), livemode=False, as_of=NOW)
                             for _ in range(2)))

    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1 and WebhookEvent.objects.count() == 1
    assert GatewayConnection.objects.filter(provider="external").count() == 1
    assert Payment.objects.get().invoice_id == Invoice.objects.get().pk


def test_two_different_sales_with_one_external_id_at_once_record_only_one(setup):
    org, customer = setup

    results, errors = race(lambda: record_external_payment(org, _sale(customer.pk), livemode=False, as_of=NOW),
                           lambda: record_external_payment(org, _sale(customer.pk, "99.00"), livemode=False,
                                                           as_of=NOW))

    assert len(results) == 1 and len(errors) == 1 and getattr(errors[0], "code", "") == "external_id_conflict"
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_retry_after_a_crash_mid_way_finishes_with_one_invoice(setup, monkeypatch):
    # given: the first attempt recorded the payment and died before invoicing it
    org, customer = setup
    from timbra.payments.services import external_payments

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(external_payments, "_record_report", crash)
    with pytest.raises(RuntimeError):
        record_external_payment(org, _sale(customer.pk), livemode=False, as_of=NOW)
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    assert Payment.objects.count() == 1 and Invoice.objects.count() == 0
    # when: the caller retries
    payment, created = record_external_payment(org, _sale(customer.pk), livemode=False, as_of=NOW)
    again, created_again = record_external_payment(org, _sale(customer.pk), livemode=False, as_of=NOW)
    # then: the retry is the first call that completed, so it is the one told "created" (the report
    # row is the single arbiter of "created", which keeps concurrent imports exact, issue 14 §1)
    assert (created, created_again) == (True, False) and payment.pk == again.pk
    assert Invoice.objects.count() == 1 and Invoice.objects.get().customer_id == customer.pk
    assert WebhookEvent.objects.get().invoice_id == Invoice.objects.get().pk
