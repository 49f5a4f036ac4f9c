"""Stripe objects → NormalizedPayment: keys, lines, amounts, forma de pago, fiscal data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.unit.payments.stripe_events import body, event
from timbra.payments.gateways import stripe_fields
from timbra.payments.gateways.base import MetadataKeys, NoLookups, NormalizedPayment, Skip
from timbra.payments.gateways.stripe import StripeAdapter, parse_event


class Lookups(NoLookups):
    def __init__(self, *, invoice_of_pi: Any = None, customer: dict | None = None) -> None:
        self.invoice_of_pi, self._customer = invoice_of_pi, customer

    def invoice_of_payment_intent(self, payment_intent_id: str) -> Any:
        return self.invoice_of_pi

    def customer(self, customer_id: str) -> dict | None:
        return self._customer


def normalize(name: str, lookups: Any = None, keys: MetadataKeys | None = None, **changes: Any):
    adapter = StripeAdapter(keys=keys or MetadataKeys(), lookups=lookups or NoLookups())
    return adapter.normalize(parse_event(body(event(name, **changes))))


def test_invoice_paid_maps_lines_at_what_was_paid_after_discounts():
    payment = normalize("invoice_paid")

    assert isinstance(payment, NormalizedPayment)
    assert (payment.key, payment.source_kind, payment.amount, payment.currency) == (
        "pi_3QhKx0LkdIwHu7ix1AbCdE01",
        "invoice",
        Decimal("1160.00"),
        "MXN",
    )
    assert [(line.cantidad, line.amount, line.price_id) for line in payment.lines] == [
        (Decimal(1), Decimal("999.00"), "price_1PqRsTLkdIwHu7ixPro00001"),
        (Decimal(2), Decimal("161.00"), "price_1PqRsTLkdIwHu7ixSeat0001"),
    ]
    assert payment.charge_id == "ch_3QhKx0LkdIwHu7ix1MnOpQ01"
    assert payment.gateway_invoice_id == "in_1QhKwzLkdIwHu7ixGhIjKl01"
    assert payment.method_known is False and payment.forma_pago == "04"  # the charge was not expanded


def test_invoice_paid_reads_fiscal_data_from_tax_ids_address_and_subscription_metadata():
    customer = normalize("invoice_paid").customer

    assert (
        customer.gateway_customer_id,
        customer.rfc,
        customer.codigo_postal,
        customer.regimen_fiscal,
        customer.uso_cfdi,
        customer.email,
    ) == ("cus_R9aBcDeFgHiJ01", "URE180429TM6", "86991", "601", "G03", "cuentas@robotica.example")


def test_a_customer_fetched_through_the_api_supplies_the_regimen_when_the_invoice_lacks_it():
    cus = {"id": "cus_R9aBcDeFgHiJ01", "object": "customer", "metadata": {"regimen_fiscal": "626"}}

    payment = normalize("invoice_paid", Lookups(customer=cus), subscription_details={"metadata": {}})

    assert payment.customer.regimen_fiscal == "626"


def test_exclusive_taxes_are_added_to_the_line():
    data = event("invoice_paid")["data"]["object"]
    line = data["lines"]["data"][0]
    line |= {"amount": 86121, "tax_amounts": [{"amount": 13779, "inclusive": False, "tax_rate": "txr_1"}]}

    payment = normalize("invoice_paid", lines={**data["lines"], "data": [line, data["lines"]["data"][1]]})

    assert payment.lines[0].amount == Decimal("999.00") and len(payment.lines) == 2


def test_a_negative_proration_line_collapses_to_one_line_for_the_amount_paid():
    data = event("invoice_paid")["data"]["object"]
    credit = dict(data["lines"]["data"][1], amount=-5000, discount_amounts=[], description="Unused time")
    plan = data["lines"]["data"][0]

    payment = normalize("invoice_paid", amount_paid=94900, lines={**data["lines"], "data": [plan, credit]})

    assert len(payment.lines) == 1 and payment.lines[0].amount == Decimal("949.00")
    assert payment.lines[0].descripcion.startswith("Factura KEMPER-0042 de Stripe")


def test_a_truncated_line_list_collapses_to_one_line():
    data = event("invoice_paid")["data"]["object"]

    payment = normalize("invoice_paid", lines={**data["lines"], "has_more": True})

    assert [line.amount for line in payment.lines] == [Decimal("1160.00")]


def test_the_basil_invoice_shape_reads_pricing_and_parent_metadata_but_needs_the_payment():
    skipped = normalize("invoice_paid_basil")

    assert isinstance(skipped, Skip) and skipped.status == "waiting"
    assert skipped.waiting_on == "in_1SbZq1LkdIwHu7ixBaSiL001"


def test_a_basil_invoice_with_its_payments_included_needs_no_lookup():
    payments = {
        "object": "list",
        "data": [
            {
                "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": "pi_3SbZq2LkdIwHu7ix0BaSiL01"},
            }
        ],
    }

    payment = normalize("invoice_paid_basil", payments=payments)

    assert payment.key == "pi_3SbZq2LkdIwHu7ix0BaSiL01"
    assert payment.lines[0].price_id == "price_1PqRsTLkdIwHu7ixPro00001"
    assert payment.customer.regimen_fiscal == "601"


def test_a_classic_charge_of_an_invoice_is_not_invoiceable_on_its_own():
    payment = normalize("charge_succeeded_invoice")

    assert payment.invoiceable is False and payment.gateway_invoice_id == "in_1QhKwzLkdIwHu7ixGhIjKl01"
    assert (payment.key, payment.forma_pago, payment.payment_method) == (
        "pi_3QhKx0LkdIwHu7ix1AbCdE01",
        "28",
        "card/debit",
    )


def test_a_basil_charge_with_a_customer_waits_unless_a_lookup_knows():
    assert normalize("charge_succeeded_basil").status == "waiting"
    assert normalize("charge_succeeded_basil", Lookups(invoice_of_pi=False)).invoiceable is True
    assert normalize("charge_succeeded_basil", Lookups(invoice_of_pi="in_1")).invoiceable is False


def test_a_one_off_charge_keeps_fee_net_and_reads_metadata():
    payment = normalize("charge_succeeded_oneoff")

    assert (payment.fee, payment.net, payment.balance_transaction_id) == (
        Decimal("23.78"),
        Decimal("556.22"),
        "txn_3QhMa1LkdIwHu7ix0BaLtX01",
    )
    assert payment.exchange_rate is None and payment.invoiceable is True
    assert (payment.customer.rfc, payment.customer.nombre) == (
        "URE180429TM6",
        "UNIVERSIDAD ROBOTICA ESPAÑOLA",
    )


def test_a_legacy_charge_without_payment_intent_is_keyed_by_its_id():
    assert normalize("charge_succeeded_oneoff", payment_intent=None).key == "ch_3QhMa1LkdIwHu7ix0ChArG01"


def test_a_partial_capture_invoices_the_captured_amount():
    assert normalize("charge_succeeded_oneoff", amount_captured=30000).amount == Decimal("300.00")


def test_a_payment_intent_without_its_charge_defaults_to_a_credit_card():
    payment = normalize("payment_intent_succeeded")

    assert (payment.key, payment.source_kind, payment.forma_pago, payment.method_known) == (
        "pi_3QhMa1LkdIwHu7ix0PaYiN01",
        "payment_intent",
        "04",
        False,
    )
    assert payment.charge_id == "ch_3QhMa1LkdIwHu7ix0ChArG01"


def test_a_payment_intent_with_old_style_charges_list_reads_the_method():
    charge = event("charge_succeeded_invoice")["data"]["object"] | {"invoice": None}

    payment = normalize("payment_intent_succeeded", charges={"object": "list", "data": [charge]})

    assert (payment.forma_pago, payment.method_known) == ("28", True)


def test_configured_metadata_keys_are_read():
    keys = MetadataKeys.from_config({"rfc": "tax_rfc", "regimen_fiscal": "regimen", "unknown": "x"})

    payment = normalize(
        "charge_succeeded_oneoff", keys=keys, metadata={"tax_rfc": "EWE1709045U0", "regimen": "601"}
    )

    assert (payment.customer.rfc, payment.customer.regimen_fiscal) == ("EWE1709045U0", "601")


@pytest.mark.parametrize(
    ("details", "forma", "known"),
    [
        ({"type": "card", "card": {"funding": "credit"}}, "04", True),
        ({"type": "card", "card": {"funding": "debit"}}, "28", True),
        ({"type": "card", "card": {"funding": "prepaid"}}, "28", True),
        ({"type": "card", "card": {"funding": "unknown"}}, "04", False),
        ({"type": "card_present", "card_present": {"funding": "debit"}}, "28", True),
        ({"type": "oxxo", "oxxo": {"number": "123"}}, "01", True),
        ({"type": "customer_balance", "customer_balance": {}}, "03", True),
        ({"type": "link", "link": {}}, "04", False),
        ({"type": "paypal", "paypal": {}}, "31", True),
        ({}, "04", False),
    ],
)
def test_forma_de_pago_follows_the_payment_method(details, forma, known):
    got_forma, _, got_known = stripe_fields.forma_pago_of_charge({"payment_method_details": details})

    assert (got_forma, got_known) == (forma, known)


@pytest.mark.parametrize(
    ("units", "currency", "amount"),
    [(116000, "mxn", Decimal("1160.00")), (1500, "JPY", Decimal(1500)), (5, "usd", Decimal("0.05"))],
)
def test_minor_units_follow_stripes_currency_decimals(units, currency, amount):
    assert stripe_fields.amount(units, currency) == amount


def test_three_decimal_currencies_are_ignored_with_a_reason():
    skipped = normalize("charge_succeeded_oneoff", currency="kwd")

    assert isinstance(skipped, Skip) and skipped.status == "ignored" and "KWD" in skipped.reason


def test_a_foreign_postal_code_is_not_used_as_a_mexican_cp():
    assert stripe_fields.mexican_postal_code({"country": "US", "postal_code": "94107"}) == ""
    assert stripe_fields.mexican_postal_code({"country": "MX", "postal_code": "06600"}) == "06600"
    assert stripe_fields.mexican_postal_code({"postal_code": "6600"}) == ""


def test_out_of_band_and_unpaid_objects_are_ignored():
    assert normalize("invoice_paid", paid_out_of_band=True).status == "ignored"
    assert normalize("charge_succeeded_oneoff", status="pending").status == "ignored"
    assert normalize("payment_intent_succeeded", status="processing").status == "ignored"
