"""StripeApiLookups against an in-memory Stripe: answers, "unknown", and outages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.payments.fake_stripe import FakeStripe
from timbra.payments.gateways.base import ChainedLookups, GatewayUnavailable, NoLookups
from timbra.payments.gateways.stripe import StripeApiLookups


@pytest.fixture
def fake() -> FakeStripe:
    fake = FakeStripe()
    fake.pay_invoice("in_1", "pi_1")
    fake.charges["ch_1"] = {"id": "ch_1", "object": "charge", "balance_transaction": {"exchange_rate": 17.5}}
    return fake


@pytest.fixture
def lookups(fake) -> StripeApiLookups:
    return StripeApiLookups("rk_test_x", client=fake.client("rk_test_x"))


def test_the_payment_of_an_invoice_and_the_invoice_of_a_payment(lookups):
    assert lookups.payment_key_of_invoice("in_1") == "pi_1"
    assert lookups.invoice_of_payment_intent("pi_1") == "in_1"


def test_a_payment_without_invoice_is_false_not_unknown(lookups):
    assert lookups.invoice_of_payment_intent("pi_other") is False
    assert lookups.payment_key_of_invoice("in_other") is None


def test_objects_come_back_as_plain_data_with_decimal_numbers(lookups):
    charge = lookups.charge("ch_1")

    assert charge["balance_transaction"]["exchange_rate"] == Decimal("17.5")


def test_a_missing_object_is_unknown(lookups):
    assert lookups.charge("ch_missing") is None and lookups.customer("cus_missing") is None


def test_an_outage_raises_so_the_job_retries(fake, lookups):
    fake.down = True

    with pytest.raises(GatewayUnavailable):
        lookups.invoice_of_payment_intent("pi_1")


def test_the_key_never_shows_in_repr():
    assert "rk_test_secret" not in repr(StripeApiLookups("rk_test_secret", client=object()))


def test_chained_lookups_take_the_first_answer(lookups):
    chained = ChainedLookups([NoLookups(), lookups])

    assert chained.invoice_of_payment_intent("pi_other") is False
    assert chained.payment_key_of_invoice("in_1") == "pi_1"
    assert ChainedLookups([NoLookups()]).invoice_of_payment_intent("pi_1") is None
