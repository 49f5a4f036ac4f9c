"""Customer matching and fiscal data: id, then RFC, then email; otherwise wait, visibly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import NOW, make_customer
from tests.unit.payments.stripe_events import event
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.invoice_payment import invoice_payment

pytestmark = pytest.mark.django_db


def _anonymous_charge() -> dict:
    """A one-off card charge with only a cardholder name: nothing to invoice a person with."""
    return event(
        "charge_succeeded_oneoff",
        metadata={"order_id": "ORD-9"},
        billing_details={
            "address": {"country": "MX", "postal_code": None},
            "email": "ana@example.com",
            "name": "ANA PEREZ",
            "phone": None,
        },
    )


def test_a_customer_without_rfc_leaves_the_payment_awaiting_fiscal_data_and_no_invoice(connection, deliver):
    response = deliver(connection, _anonymous_charge())

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.status == Payment.AWAITING_FISCAL_DATA
    assert payment.status_reason.startswith("Faltan datos fiscales del cliente: RFC")
    assert "régimen fiscal" in payment.status_reason
    assert Invoice.objects.count() == 0 and Customer.objects.count() == 0
    stored = WebhookEvent.objects.get()
    assert stored.status == WebhookEvent.PROCESSED and "espera los datos fiscales" in stored.reason
    assert payment.amount == Decimal("580.00") and payment.lines[0]["amount"] == "580.00"  # kept for later


def test_a_waiting_payment_is_invoiced_once_the_customer_exists(connection, deliver, frozen):
    # given a payment waiting for fiscal data, whose payer Timbra later learns (the portal, a person)
    deliver(connection, _anonymous_charge())
    payment = Payment.objects.get()
    make_customer(connection.org, emails=["ana@example.com"])
    # when the hook runs again (the portal will call it)
    invoice_payment(payment.pk, as_of=NOW)
    invoice_payment(payment.pk, as_of=NOW)
    # then matched by email, invoiced once
    payment.refresh_from_db()
    assert payment.status == Payment.INVOICED and Invoice.objects.count() == 1


def test_the_generic_rfc_is_not_usable_fiscal_data(connection, deliver):
    deliver(
        connection,
        event(
            "charge_succeeded_oneoff",
            metadata={"rfc": "XAXX010101000", "razon_social": "PUBLICO EN GENERAL", "regimen_fiscal": "616"},
        ),
    )

    assert Payment.objects.get().status == Payment.AWAITING_FISCAL_DATA and Invoice.objects.count() == 0


def test_fiscal_data_sat_would_reject_waits_with_the_reason(connection, deliver):
    # 605 (sueldos y salarios) is for personas físicas; URE180429TM6 is a persona moral
    deliver(
        connection,
        event(
            "charge_succeeded_oneoff",
            metadata={
                "rfc": "URE180429TM6",
                "razon_social": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
                "regimen_fiscal": "605",
            },
        ),
    )

    payment = Payment.objects.get()
    assert payment.status == Payment.AWAITING_FISCAL_DATA and "605" in payment.status_reason
    assert Invoice.objects.count() == 0


def test_a_customer_is_matched_by_the_gateway_id_before_the_rfc(connection, deliver):
    # given a customer already linked to the Stripe customer, with another RFC
    linked = make_customer(connection.org, rfc="EWE1709045U0", external_id="stripe:cus_R9aBcDeFgHiJ01")
    make_customer(connection.org)  # URE180429TM6, the RFC the invoice's tax id carries
    # when
    deliver(connection, event("invoice_paid"))
    # then the Stripe customer id wins
    assert Invoice.objects.get().customer_id == linked.pk


def test_a_customer_matched_by_rfc_gets_linked_to_the_gateway_customer(connection, deliver, customer):
    deliver(connection, event("invoice_paid"))

    customer.refresh_from_db()
    assert Invoice.objects.get().customer_id == customer.pk
    assert customer.external_id == "stripe:cus_R9aBcDeFgHiJ01" and Customer.objects.count() == 1


def test_the_existing_timbra_customer_wins_over_gateway_data(connection, deliver, customer):
    # given Stripe holds a different name and postal code for the same RFC
    deliver(
        connection, event("invoice_paid", customer_name="URE SA", customer_address={"postal_code": "01000"})
    )

    customer.refresh_from_db()
    assert (customer.nombre, customer.codigo_postal) == ("UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991")


def test_a_new_customer_is_created_from_tax_id_address_and_subscription_metadata(connection, deliver):
    deliver(connection, event("invoice_paid"))

    created = Customer.objects.get()
    assert (created.rfc, created.nombre, created.codigo_postal, created.regimen_fiscal, created.uso_cfdi) == (
        "URE180429TM6",
        "UNIVERSIDAD ROBOTICA ESPAÑOLA",
        "86991",
        "601",
        "G03",
    )
    assert created.emails == ["cuentas@robotica.example"] and created.livemode is False


def test_metadata_keys_are_configurable_per_connection(connection, deliver):
    connection.metadata_keys = {"regimen_fiscal": "sat_regimen"}
    connection.save()
    data = event("invoice_paid", subscription_details={"metadata": {"sat_regimen": "601"}})

    deliver(connection, data)

    assert Customer.objects.get().regimen_fiscal == "601"


def test_uso_cfdi_from_metadata_overrides_an_existing_customers_default(connection, deliver, customer):
    deliver(connection, event("invoice_paid", subscription_details={"metadata": {"uso_cfdi": "G01"}}))

    assert Invoice.objects.get().uso_cfdi == "G01"
