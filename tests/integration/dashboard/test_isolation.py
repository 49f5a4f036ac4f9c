"""Tenant isolation: every dashboard URL that takes an id answers 404 for another org's id."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, reverse

from tests.factories import NOW, make_customer, make_invoice
from tests.integration.gateway_rows import make_gateway_rows
from tests.integration.schedules.conftest import at, make_plan, make_schedule
from timbra.dashboard import urls as dashboard_urls
from timbra.invoicing.models import Invoice
from timbra.orgs.models import ApiKey, Membership
from timbra.payments.rules.services import create_rule
from timbra.receivables.models import ReceivedPayment
from timbra.schedules.models import Schedule

pytestmark = pytest.mark.django_db

# The invitation link carries a signed token, not an org's object id (test_members.py covers it).
ID_PATTERNS: list[URLPattern] = [p for p in dashboard_urls.urlpatterns
                                 if p.pattern.converters and p.name != "invite_accept"]


@pytest.fixture
def foreign(foreign):
    """The other org's objects (conftest) plus an active schedule of its own."""
    customer = make_customer(foreign["org"], rfc="EWE1709045U0")
    schedule = make_schedule(foreign["org"], customer, as_of=at(2026, 11, 20, 10), name="ajena")
    plan = make_plan(foreign["org"], as_of=at(2026, 11, 20, 10))
    rule = create_rule(foreign["org"], {"name": "ajena"}, livemode=False, as_of=at(2026, 11, 20, 10))
    received = ReceivedPayment.objects.create(org=foreign["org"], customer=customer, fecha_pago=NOW,
                                              forma_de_pago_p="03", monto=Decimal(100), created_at=NOW)
    membership = Membership.objects.create(user=User.objects.create_user("ajeno"), org=foreign["org"],
                                           role="viewer")
    return {**foreign, "schedule_id": schedule.pk, "plan_id": plan.pk, **make_gateway_rows(foreign["org"]),
            "rule_id": rule.pk, "received_payment_id": received.pk, "membership_id": membership.pk}


def test_the_walk_covers_every_object_kind():
    kwargs = {name for p in ID_PATTERNS for name in p.pattern.converters}

    assert kwargs == {"invoice_id", "customer_id", "product_id", "key_id", "schedule_id", "plan_id",
                      "connection_id", "secret_id", "event_id", "payment_id", "rule_id", "refund_id",
                      "received_payment_id", "membership_id"}
    assert len(ID_PATTERNS) >= 14


@pytest.mark.parametrize("pattern", ID_PATTERNS, ids=lambda p: p.name)
def test_another_orgs_id_is_a_404_on_every_page_and_action(client_in, foreign, pattern):
    url = reverse(f"dashboard:{pattern.name}",
                  kwargs={name: foreign[name] for name in pattern.pattern.converters})

    statuses = {client_in.get(url).status_code, client_in.post(url, {"rfc": "XAXX010101000"}).status_code}

    # The method the URL serves answers 404; the other one may only be 405 (nothing leaks).
    assert 404 in statuses and statuses <= {404, 405}, (url, statuses)
    assert Invoice.objects.get(pk=foreign["invoice_id"]).status == "held"
    assert ApiKey.objects.get(pk=foreign["key_id"]).revoked_at is None
    untouched = Schedule.objects.get(pk=foreign["schedule_id"])
    assert untouched.status == Schedule.ACTIVE and untouched.calendar["skipped"] == []
    assert ReceivedPayment.objects.get(pk=foreign["received_payment_id"]).status == ReceivedPayment.RECORDED


def test_an_invoice_of_the_other_mode_is_a_404_too(client_in, org):
    live_invoice = make_invoice(org, make_customer(org, livemode=True), livemode=True)

    response = client_in.get(reverse("dashboard:invoice_detail", args=[live_invoice.pk]))

    assert response.status_code == 404


def test_lists_never_show_another_orgs_rows(client_in, foreign):
    pages = [client_in.get(reverse(f"dashboard:{name}")).content.decode()
             for name in ("invoice_list", "attention", "customer_list", "product_list", "api_keys",
                          "schedule_list", "upcoming", "plan_list", "received_payments")]

    assert not any("EDGAR WALDO ERDMANN" in page or "ajena" in page for page in pages)
