"""Conekta events → payments and refunds: forma de pago, cents, lines, fees, fiscal data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.payments.conekta_events import ORDER_ID, body, order_paid, order_refunded
from timbra.payments.gateways.base import MetadataKeys, NormalizedPayment, RefundBatch, Skip
from timbra.payments.gateways.conekta import ConektaAdapter, parse_event


def _normalize(data):
    return ConektaAdapter(keys=MetadataKeys()).normalize(parse_event(body(data)))


def test_a_paid_order_is_one_payment_keyed_by_the_order_with_its_lines_fee_and_fiscal_data():
    payment = _normalize(order_paid())

    assert isinstance(payment, NormalizedPayment)
    assert (payment.provider, payment.key, payment.currency, payment.amount) == (
        "conekta", ORDER_ID, "MXN", Decimal("1160.00"))
    assert (payment.forma_pago, payment.payment_method, payment.method_known) == ("04", "card/credit", True)
    assert [(line.descripcion, line.cantidad, line.amount, line.price_id) for line in payment.lines] == [
        ("Curso de robótica, mensualidad", 1, Decimal("960.00"), "ROB-MENS"),
        ("Kit de sensores", 2, Decimal("200.00"), "ROB-KIT"),
    ]
    assert (payment.fee, payment.net, payment.settlement_currency) == (Decimal("46.40"), Decimal("1113.60"), "MXN")
    assert payment.customer.gateway_customer_id == "cus_2tKcHxhTz7xU5SymF"
    assert (payment.customer.rfc, payment.customer.regimen_fiscal, payment.customer.codigo_postal) == (
        "URE180429TM6", "601", "86991")
    assert payment.customer.email == "cuentas@robotica.example"
    assert payment.charge_id == "6407b5bee1329a000175b9f8"


@pytest.mark.parametrize(("method", "forma", "known"), [
    ({"object": "card_payment", "type": "debit", "brand": "visa"}, "28", True),
    ({"object": "card_payment", "type": "credit", "brand": "amex"}, "04", True),
    ({"object": "card_payment", "brand": "visa"}, "04", False),
    ({"object": "cash_payment", "type": "oxxo", "service_name": "OxxoPay", "reference": "93345678901234"}, "01", True),
    ({"object": "cash_payment", "type": "cash", "reference": "93345678901234"}, "01", True),
    ({"object": "bank_transfer_payment", "type": "spei", "clabe": "646180111812345678"}, "03", True),
    ({"object": "bnpl_payment", "type": "bnpl"}, "31", True),
])
def test_forma_de_pago_comes_from_the_charge_payment_method(method, forma, known):
    payment = _normalize(order_paid(method=method))

    assert (payment.forma_pago, payment.method_known) == (forma, known)


def test_with_several_charges_the_largest_one_decides_the_forma_de_pago():
    data = order_paid()
    charges = data["data"]["object"]["charges"]["data"]
    charges[0]["amount"] = 16000
    charges.append({**charges[0], "id": "6407b5bee1329a000175b9f9", "amount": 100000,
                    "payment_method": {"object": "bank_transfer_payment", "type": "spei"}})

    assert _normalize(data).forma_pago == "03"


def test_lines_that_do_not_add_up_to_the_order_become_one_line_for_the_amount_paid():
    data = order_paid()
    data["data"]["object"]["discount_lines"] = {"data": [{"code": "BIENVENIDA", "amount": 6000, "type": "coupon"}]}
    data["data"]["object"]["amount"] = 110000

    payment = _normalize(data)

    assert [(line.cantidad, line.amount) for line in payment.lines] == [(1, Decimal("1100.00"))]
    assert payment.lines[0].descripcion.startswith(f"Orden {ORDER_ID} de Conekta: Curso de robótica")


def test_shipping_is_a_line_of_its_own():
    data = order_paid(amount=125000)
    data["data"]["object"]["shipping_lines"] = {"data": [{"amount": 9000, "carrier": "Estafeta"}]}

    assert [line.descripcion for line in _normalize(data).lines][-1] == "Envío (Estafeta)"


def test_an_order_in_dollars_waits_for_an_exchange_rate():
    outcome = _normalize(order_paid(currency="USD"))

    assert isinstance(outcome, Skip) and outcome.status == "waiting" and "tipo de cambio" in outcome.reason


def test_a_full_refund_lists_its_refunds_against_the_order():
    batch = _normalize(order_refunded([("6407b5bee1329a000175ba11", 116000)], event_id="evt_ref_1"))

    assert isinstance(batch, RefundBatch)
    assert (batch.payment_key, batch.amount_refunded, batch.currency) == (ORDER_ID, Decimal("1160.00"), "MXN")
    [refund] = batch.refunds
    assert (refund.refund_id, refund.amount, refund.payment_key, refund.charge_id) == (
        "6407b5bee1329a000175ba11", Decimal("1160.00"), ORDER_ID, "6407b5bee1329a000175b9f8")


def test_a_partial_refund_is_a_refund_batch_for_the_refunded_amount():
    data = order_refunded([("r1", 20000), ("r2", 10000)], event_id="evt_ref_2", partial=True)

    batch = _normalize(data)

    assert [r.amount for r in batch.refunds] == [Decimal("200.00"), Decimal("100.00")]
    assert batch.amount_refunded == Decimal("300.00")


def test_a_charge_refunded_event_names_its_order():
    data = order_refunded([("r1", 116000)], event_id="evt_ref_3")
    charge = data["data"]["object"]["charges"]["data"][0]
    data.update(type="charge.refunded")
    data["data"]["object"] = charge

    batch = _normalize(data)

    assert batch.payment_key == ORDER_ID and batch.charge_id == charge["id"]


def test_other_events_are_ignored_with_a_reason():
    data = order_paid()
    data["type"] = "order.pending_payment"

    outcome = _normalize(data)

    assert isinstance(outcome, Skip) and outcome.status == "ignored" and "order.pending_payment" in outcome.reason
