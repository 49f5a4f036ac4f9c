"""A notified Mercado Pago payment, fetched from its API → payment or refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.payments.mercadopago_events import (
    PAYMENT_ID,
    FakeMercadoPago,
    body,
    notification,
    payment,
    refunded,
)
from timbra.payments.gateways.base import GatewayUnavailable, NormalizedPayment, RefundBatch, Skip
from timbra.payments.gateways.mercadopago import MercadoPagoAdapter, parse_event


def _normalize(fake: FakeMercadoPago | None, action: str = "payment.created"):
    adapter = MercadoPagoAdapter(api=fake)
    return adapter.normalize(parse_event(body(notification(action=action))))


def _with(data) -> FakeMercadoPago:
    fake = FakeMercadoPago()
    fake.add(data)
    return fake


def test_an_approved_payment_is_fetched_and_becomes_one_payment_with_fees_and_fiscal_data():
    fake = _with(payment())

    result = _normalize(fake)

    assert fake.calls == [f"payment {PAYMENT_ID}"]
    assert isinstance(result, NormalizedPayment)
    assert (result.provider, result.key, result.amount, result.currency) == (
        "mercadopago", PAYMENT_ID, Decimal("1160.00"), "MXN")
    assert (result.forma_pago, result.payment_method) == ("04", "credit_card/visa")
    assert (result.fee, result.net) == (Decimal("54.87"), Decimal("1105.13"))
    assert [(line.descripcion, line.cantidad, line.amount) for line in result.lines] == [
        ("Curso de robótica, mensualidad", 1, Decimal("960.00")), ("Kit de sensores", 2, Decimal("200.00"))]
    customer = result.customer
    assert (customer.rfc, customer.email, customer.nombre, customer.regimen_fiscal) == (
        "URE180429TM6", "cuentas@robotica.example", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "601")
    assert result.paid_at.isoformat() == "2026-11-20T09:58:43-06:00"


@pytest.mark.parametrize(("payment_type", "forma"), [
    ("credit_card", "04"), ("debit_card", "28"), ("prepaid_card", "28"), ("ticket", "01"), ("atm", "01"),
    ("bank_transfer", "03"), ("account_money", "06"), ("digital_currency", "31"),
])
def test_forma_de_pago_comes_from_the_payment_type(payment_type, forma):
    assert _normalize(_with(payment(payment_type_id=payment_type))).forma_pago == forma


def test_items_that_do_not_add_up_become_one_line_for_the_amount_paid():
    result = _normalize(_with(payment(transaction_amount=1000.5, coupon_amount=159.5)))

    assert [(line.amount, line.cantidad) for line in result.lines] == [(Decimal("1000.50"), 1)]


@pytest.mark.parametrize("status", ["pending", "in_process", "rejected", "cancelled"])
def test_a_payment_that_is_not_approved_is_ignored(status):
    outcome = _normalize(_with(payment(status=status, date_approved=None)))

    assert isinstance(outcome, Skip) and outcome.status == "ignored"


def test_an_update_after_a_refund_is_the_refund_and_the_creation_is_still_the_money():
    data = refunded(payment(), [(2145963357, "300")], updated="2026-11-21T10:00:00.000-06:00")
    fake = _with(data)

    batch = _normalize(fake, action="payment.updated")
    money = _normalize(fake, action="payment.created")

    assert isinstance(batch, RefundBatch) and isinstance(money, NormalizedPayment)
    [refund] = batch.refunds
    assert (refund.refund_id, refund.amount, refund.payment_key, refund.status) == (
        "2145963357", Decimal("300.00"), PAYMENT_ID, "succeeded")
    assert batch.amount_refunded == Decimal("300.00") and money.amount == Decimal("1160.00")


def test_a_fully_refunded_payment_lists_all_its_refunds():
    data = refunded(payment(), [(1, "1000"), (2, "160")], updated="2026-11-22T10:00:00.000-06:00")

    batch = _normalize(_with(data), action="payment.updated")

    assert [r.amount for r in batch.refunds] == [Decimal("1000.00"), Decimal("160.00")]
    assert batch.amount_refunded == Decimal("1160.00")


def test_without_an_access_token_the_event_waits_for_one():
    outcome = _normalize(None)

    assert isinstance(outcome, Skip) and outcome.status == "waiting" and "access token" in outcome.reason


def test_an_unknown_payment_is_ignored_and_an_outage_is_retried():
    assert _normalize(FakeMercadoPago()).status == "ignored"
    with pytest.raises(GatewayUnavailable):
        _normalize(FakeMercadoPago(down=True))


def test_other_notification_topics_are_ignored_without_asking_the_api():
    fake = _with(payment())
    data = notification()
    data.update(type="merchant_order", action="merchant_order.updated")

    outcome = MercadoPagoAdapter(api=fake).normalize(parse_event(body(data)))

    assert outcome.status == "ignored" and fake.calls == []


def test_a_notification_without_action_is_read_as_an_update_of_the_payment():
    data = notification()
    del data["action"]
    fake = _with(refunded(payment(), [(7, "100")], updated="2026-11-21T10:00:00.000-06:00"))

    outcome = MercadoPagoAdapter(api=fake).normalize(parse_event(body(data)))

    assert isinstance(outcome, RefundBatch)
