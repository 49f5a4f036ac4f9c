"""Property: whatever the sales, the claims and when the job runs, every paid receipt ends in
exactly one CFDI, its own or a concepto of exactly one global invoice."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_customer
from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from timbra.globalinvoice.services.issue import issue_due_global_invoices
from timbra.invoicing.models import InvoiceLine
from timbra.payments.models import Payment
from timbra.payments.services.invoice_payment import invoice_payment

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 28, 0, 0, tzinfo=TIJUANA)  # sales over four days across the month's end


class _Rollback(Exception):
    pass


sales = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=4 * 24 - 1),  # hour of the sale since START
        st.sampled_from(["58.00", "116.00", "1160.00", "0.58"]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=5 * 24)),  # when the customer claims, if ever
    ),
    min_size=1,
    max_size=8,
)
job_runs = st.lists(st.integers(min_value=0, max_value=6 * 24), min_size=1, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sales=sales, job_runs=job_runs)
def test_every_paid_receipt_ends_in_exactly_one_cfdi(sales, job_runs):
    try:
        with transaction.atomic():
            _check(sales, job_runs)
            raise _Rollback
    except _Rollback:
        pass


def _check(sales, job_runs):
    with time_machine.travel(START, tick=False):
        org = make_tijuana_org(as_of=START)
        customer = make_customer(org, as_of=START)
    events = []
    for n, (hour, amount, claim_hour) in enumerate(sales):
        events.append((hour, 0, ("sale", n, amount)))
        if claim_hour is not None:
            events.append((max(hour, claim_hour), 1, ("claim", n, None)))
    events += [(hour, 2, ("job", None, None)) for hour in job_runs]
    payments: dict[int, Payment] = {}
    for hour, _, (kind, n, amount) in sorted(events, key=lambda e: (e[0], e[1])):
        as_of = START + timedelta(hours=hour, minutes=30)
        with time_machine.travel(as_of, tick=False):
            if kind == "sale":
                payments[n] = sell(org, f"T-{n}", amount, as_of)
            elif kind == "claim":
                Payment.objects.filter(pk=payments[n].pk, invoice__isnull=True).update(customer=customer)
                invoice_payment(payments[n].pk, as_of=as_of)
            else:
                issue_due_global_invoices(as_of=as_of)
    # and finally the job runs once every period has closed
    end = START + timedelta(days=40)
    with time_machine.travel(end, tick=False):
        issue_due_global_invoices(as_of=end)
    for payment in Payment.objects.filter(org=org).select_related("receipt"):
        own = 1 if payment.invoice_id else 0
        in_globals = InvoiceLine.objects.filter(
            invoice__org=org, invoice__source="global", no_identificacion=payment.receipt.number
        ).values("invoice_id").distinct().count()
        assert own + in_globals == 1, (payment.key, own, in_globals, payment.receipt.status)
