"""Payments racing on one invoice, on real transactions (SQLite here; PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from tests.concurrency import race as shared_race
from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from tests.integration.receivables.conftest import YESTERDAY, dr_amounts, rep_xml
from tests.sat_official import assert_valid_cfdi
from timbra import jobs
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.process import process_invoice
from timbra.receivables.models import PaymentApplication, ReceivedPayment
from timbra.receivables.selectors import open_balance
from timbra.receivables.services.record_payment import record_payment

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def race(target: Callable[[], Any], n: int = 2) -> tuple[list[Any], list[BaseException]]:
    return shared_race(*[target] * n)

@pytest.fixture
def ppd(frozen, monkeypatch):
    """A stamped PPD invoice of 1,158.84; afterwards REP jobs are left to the test."""
    org = make_org()
    customer = make_customer(org)
    invoice = make_invoice(org, customer, product=make_product(org), metodo_pago="PPD")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    return invoice


def pay(invoice, amount: str, **extra: Any) -> Callable[[], tuple[ReceivedPayment, bool]]:
    return lambda: record_payment(invoice.org, customer=invoice.customer, fecha_pago=YESTERDAY, forma_de_pago="03",
                                  monto=D(amount), applications=[(invoice, D(amount))], as_of=NOW, **extra)


def test_two_concurrent_payments_on_one_invoice_take_parcialidades_1_and_2(ppd):
    # when two payments of 500.00 are recorded at the same instant
    results, errors = race(pay(ppd, "500.00"))
    # then both are recorded, one as parcialidad 1 and the other as 2, the second starting where the first ended
    assert errors == []
    rows = list(PaymentApplication.objects.filter(invoice=ppd).order_by("num_parcialidad")
                .values_list("num_parcialidad", "imp_saldo_ant", "imp_pagado"))
    assert rows == [(1, D("1158.84"), D("500.00")), (2, D("658.84"), D("500.00"))]
    assert open_balance(ppd) == D("158.84")
    # and their REPs, stamped afterwards, say the same
    stated = []
    for payment, _ in results:
        process_invoice(payment.rep_invoice_id, as_of=NOW)
        assert_valid_cfdi(rep_xml(payment))
        stated += dr_amounts(rep_xml(payment))
    assert sorted(stated) == [("1", "1158.84", "500.00", "658.84"), ("2", "658.84", "500.00", "158.84")]


def test_two_concurrent_payments_cannot_together_pay_more_than_is_owed(ppd):
    # when two payments of 700.00 race for a balance of 1,158.84
    results, errors = race(pay(ppd, "700.00"))
    # then exactly one is recorded and the other is refused as an overpayment
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], InvoicingError) and errors[0].code == "overpayment"
    assert open_balance(ppd) == D("458.84")


def test_the_same_gateway_charge_recorded_twice_at_once_is_one_payment(ppd):
    # when a retried webhook records the same charge twice concurrently
    results, errors = race(pay(ppd, "500.00", source="stripe", source_id="ch_same"))
    # then there is one payment, one application, one REP, and both callers get it
    assert errors == []
    assert {p.pk for p, _ in results} == {ReceivedPayment.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]
    assert PaymentApplication.objects.count() == 1


def test_the_database_refuses_a_second_active_parcialidad_with_the_same_number(ppd):
    # given parcialidad 1 recorded, and another payment written around the service
    pay(ppd, "100.00")()
    other = ReceivedPayment.objects.create(org=ppd.org, customer=ppd.customer, fecha_pago=NOW,
                                           forma_de_pago_p="03", monto=D("1.00"), created_at=NOW)
    row = {"payment": other, "invoice": ppd, "position": 1, "imp_pagado": D("1.00"), "num_parcialidad": 1,
           "imp_saldo_ant": D("1058.84")}
    # then the unique constraint, not the service's lock, is the last word on parcialidad 1
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentApplication.objects.create(**row)
    # and an inactive application (its REP was cancelled) does not hold the number
    PaymentApplication.objects.create(**row, active=False)
