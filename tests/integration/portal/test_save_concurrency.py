"""Two saves at once (a double click, two tabs, the payer and staff): one customer, one CFDI."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.concurrency import race
from tests.factories import make_org
from tests.integration.portal.conftest import ANA, anonymous_charge
from tests.unit.payments.stripe_events import SECRET, body, sign
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.payments.services.connections import connect_stripe
from timbra.portal.links import payment_token, subject_for
from timbra.portal.services.assign_customer import assign_customer
from timbra.portal.services.save_fiscal_data import save_fiscal_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def waiting() -> Payment:
    org = make_org(as_of=timezone.now())
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=timezone.now())
    payload = body(anonymous_charge())
    Client().post(f"/hooks/stripe/{connection.webhook_token}", data=payload, content_type="application/json",
                  headers={"Stripe-Signature": sign(payload, SECRET, timestamp=int(timezone.now().timestamp()))})
    return Payment.objects.get(status=Payment.AWAITING_FISCAL_DATA)


def _save(payment: Payment) -> object:
    now = timezone.now()
    return save_fiscal_data(subject_for(payment_token(payment, as_of=now), as_of=now), ANA, as_of=now)


def test_two_saves_on_one_payment_link_make_one_customer_and_one_invoice(waiting):
    results, errors = race(lambda: _save(waiting), lambda: _save(waiting))
    assert errors == []
    assert Customer.objects.count() == 1 and Invoice.objects.count() == 1
    waiting.refresh_from_db()
    assert waiting.status == Payment.INVOICED and waiting.invoice.uuid


def test_the_payer_and_staff_at_once_make_one_invoice(waiting):
    staff_data = {**ANA, "emails": ["ana@example.com"]}
    results, errors = race(
        lambda: _save(waiting),
        lambda: assign_customer(waiting, actor="staff", as_of=timezone.now(), data=staff_data))
    # whoever came second either joined the first one's customer or was told the charge moved on
    assert all(getattr(e, "code", "") == "payment_not_waiting" for e in errors), errors
    assert Invoice.objects.count() == 1 and Customer.objects.count() == 1
    waiting.refresh_from_db()
    assert waiting.status == Payment.INVOICED and waiting.invoice.customer_id == waiting.customer_id
