"""Stripe lifecycle events → gateway-neutral outcomes: refunds, disputes, voids, customers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.unit.payments.stripe_events import body, event
from timbra.payments.gateways.base import (
    CustomerUpdate,
    DisputeUpdate,
    GatewayInvoiceVoided,
    MetadataKeys,
    NoLookups,
    NormalizedRefund,
    RefundBatch,
    Skip,
)
from timbra.payments.gateways.stripe import StripeAdapter, parse_event

CHARGE, PI = "ch_3QhMa1LkdIwHu7ix0ChArG01", "pi_3QhMa1LkdIwHu7ix0PaYiN01"


class CustomerLookups(NoLookups):
    def __init__(self, customer: dict) -> None:
        self._customer = customer

    def customer(self, customer_id: str) -> dict | None:
        return self._customer


def normalize(name: str, *, kind: str | None = None, lookups: Any = None, **changes: Any):
    data = event(name, **changes)
    if kind:
        data["type"] = kind
    return StripeAdapter(keys=MetadataKeys(), lookups=lookups or NoLookups()).normalize(parse_event(body(data)))


def test_charge_refunded_with_its_list_is_a_batch_of_refunds_with_the_running_total():
    batch = normalize("charge_refunded_partial")

    assert isinstance(batch, RefundBatch)
    assert (batch.payment_key, batch.charge_id, batch.amount_refunded) == (PI, CHARGE, Decimal("200.00"))
    [refund] = batch.refunds
    assert (refund.refund_id, refund.amount, refund.currency, refund.status, refund.reason) == (
        "re_3QhMa1LkdIwHu7ix0ReFuN01",
        Decimal("200.00"),
        "MXN",
        "succeeded",
        "requested_by_customer",
    )
    assert (refund.fee, refund.net, refund.settlement_currency) == (Decimal("0.00"), Decimal("-200.00"), "MXN")
    assert refund.refunded_at == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)


def test_charge_refunded_in_modern_api_versions_has_no_list_but_its_total():
    batch = normalize("charge_refunded_partial", refunds=None, amount_refunded=58000)

    assert isinstance(batch, RefundBatch)
    assert batch.refunds == () and batch.amount_refunded == Decimal("580.00")


def test_refund_events_carry_one_refund_of_its_payment():
    for kind in ("refund.created", "refund.updated", "charge.refund.updated"):
        refund = normalize("refund_created", kind=kind)
        assert isinstance(refund, NormalizedRefund)
        assert (refund.refund_id, refund.payment_key, refund.amount) == (
            "re_3QhMa1LkdIwHu7ix0ReFuN02",
            PI,
            Decimal("380.00"),
        )
        assert refund.balance_transaction_id == "txn_3QhMa1LkdIwHu7ix0ReFuN02" and refund.fee is None


def test_refund_statuses_map_to_four_words():
    assert normalize("refund_created", status="pending").status == "pending"
    assert normalize("refund_created", status="requires_action").status == "pending"
    assert normalize("refund_created", status="failed", kind="refund.failed").status == "failed"
    assert normalize("refund_created", status="canceled").status == "canceled"


def test_a_refund_without_payment_intent_is_keyed_by_its_charge():
    refund = normalize("refund_created", payment_intent=None)

    assert refund.payment_key == CHARGE


def test_disputes_open_and_close_won_or_lost():
    opened = normalize("charge_dispute_created")
    lost = normalize("charge_dispute_closed")
    won = normalize("charge_dispute_closed", status="won", balance_transactions=[])
    inquiry = normalize("charge_dispute_closed", status="warning_closed", balance_transactions=[])

    assert isinstance(opened, DisputeUpdate) and opened.status == "open"
    assert (opened.amount, opened.reason, opened.payment_key, opened.fee) == (
        Decimal("580.00"),
        "fraudulent",
        PI,
        None,
    )
    assert (lost.status, lost.gateway_status, lost.fee) == ("lost", "lost", Decimal("150.00"))
    assert won.status == "won" and inquiry.status == "won"


def test_invoice_voided_names_the_invoice_and_its_payment():
    voided = normalize("invoice_voided")

    assert isinstance(voided, GatewayInvoiceVoided)
    assert (voided.gateway_invoice_id, voided.number, voided.payment_key) == (
        "in_1QhKwzLkdIwHu7ixGhIjKl01",
        "KEMPER-0042",
        "pi_3QhKx0LkdIwHu7ix1AbCdE01",
    )


def test_customer_updated_reads_name_cp_and_metadata_and_asks_for_tax_ids():
    tax_ids = {"data": [{"type": "mx_rfc", "value": "URE180429TM6"}]}

    update = normalize("customer_updated", lookups=CustomerLookups({"tax_ids": tax_ids}))

    assert isinstance(update, CustomerUpdate) and update.gateway_customer_id == "cus_R9aBcDeFgHiJ01"
    data = update.customer
    assert (data.rfc, data.nombre, data.codigo_postal, data.regimen_fiscal) == (
        "URE180429TM6",
        "UNIVERSIDAD ROBOTICA ESPAÑOLA",
        "86991",
        "601",
    )


def test_tax_id_events_update_or_remove_the_rfc():
    created = normalize("customer_tax_id_created")
    deleted = normalize("customer_tax_id_created", kind="customer.tax_id.deleted")

    assert created.customer.rfc == "URE180429TM6" and not created.rfc_removed
    assert deleted.customer.rfc == "" and deleted.rfc_removed
    assert isinstance(normalize("customer_tax_id_created", type="br_cnpj"), Skip)


class BalanceLookups(NoLookups):
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def balance_transaction(self, balance_transaction_id: str) -> dict | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_a_refunds_fee_and_net_come_from_the_api_when_not_in_the_event():
    bt = {"id": "txn_3QhMa1LkdIwHu7ix0ReFuN02", "currency": "mxn", "fee": -120, "net": -37880}

    refund = normalize("refund_created", lookups=BalanceLookups(bt))

    assert (refund.fee, refund.net, refund.settlement_currency) == (Decimal("-1.20"), Decimal("-378.80"), "MXN")


def test_an_unavailable_api_never_delays_the_refund():
    from timbra.payments.gateways.base import GatewayUnavailable

    refund = normalize("refund_created", lookups=BalanceLookups(GatewayUnavailable("APIConnectionError")))

    assert refund.fee is None and refund.balance_transaction_id == "txn_3QhMa1LkdIwHu7ix0ReFuN02"
