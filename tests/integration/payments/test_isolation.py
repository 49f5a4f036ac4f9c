"""Tenant isolation: the org of an event is the org of the URL's connection, nothing else."""

from __future__ import annotations

import pytest

from tests.factories import NOW, make_customer, make_org
from tests.unit.payments.stripe_events import OTHER_SECRET, event
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.connections import connect_stripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_b(frozen):
    return make_org(rfc="EKU9003173C9", nombre="ESCUELA KEMPER URGATE")


@pytest.fixture
def connection_b(org_b) -> GatewayConnection:
    return connect_stripe(org_b, signing_secret=OTHER_SECRET, livemode=False, as_of=NOW)


def test_an_event_on_org_a_url_creates_data_only_in_org_a(connection, connection_b, org_b, deliver):
    # given org B already has a customer with the same RFC and the same Stripe customer id
    b_customer = make_customer(org_b, external_id="stripe:cus_R9aBcDeFgHiJ01")
    # when A's Stripe delivers to A's URL
    deliver(connection, event("invoice_paid"))
    # then everything new belongs to A; B's customer is neither used nor touched
    invoice = Invoice.objects.get()
    assert invoice.org_id == connection.org_id and invoice.customer.org_id == connection.org_id
    assert invoice.customer_id != b_customer.pk
    assert set(WebhookEvent.objects.values_list("org_id", flat=True)) == {connection.org_id}
    assert set(Payment.objects.values_list("org_id", flat=True)) == {connection.org_id}
    assert Customer.objects.filter(org=org_b).count() == 1


def test_an_event_signed_for_org_a_posted_to_org_b_url_is_rejected(connection, connection_b, deliver):
    response = deliver(connection_b, event("invoice_paid"))  # signed with A's secret, B's token

    assert response.status_code == 400
    assert WebhookEvent.objects.count() == 0 and Invoice.objects.count() == 0
    assert GatewayConnection.objects.get(pk=connection_b.pk).rejected_signatures == 1
    assert GatewayConnection.objects.get(pk=connection.pk).rejected_signatures == 0


def test_the_same_event_id_in_two_orgs_is_two_rows(connection, connection_b, deliver):
    # one Stripe account connected to two issuers: each org keeps its own copy
    data = event("charge_succeeded_oneoff")

    deliver(connection, data)
    deliver(connection_b, data, secrets=(OTHER_SECRET,))

    assert WebhookEvent.objects.filter(event_id=data["id"]).count() == 2
    assert sorted(Invoice.objects.values_list("org_id", flat=True)) == sorted(
        [connection.org_id, connection_b.org_id]
    )


def test_org_ids_in_the_payload_are_ignored(connection, connection_b, org_b, deliver):
    deliver(
        connection,
        event(
            "charge_succeeded_oneoff",
            metadata={
                "org_id": str(org_b.pk),
                "rfc": "URE180429TM6",
                "razon_social": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
                "regimen_fiscal": "601",
            },
        ),
    )

    assert Invoice.objects.get().org_id == connection.org_id
    assert not Invoice.objects.filter(org=org_b).exists()
