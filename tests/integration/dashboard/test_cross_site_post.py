"""A cross-site POST to the dashboard changes nothing (issue 14 §2): a logged-in member's browser,
tricked by another site into posting a form without the CSRF token, gets 403 and every row
stays as it was."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.orgs.models import ApiKey, Org
from timbra.payments.models import GatewayConnection

pytestmark = pytest.mark.django_db

EVIL = {"Origin": "https://evil.example", "Referer": "https://evil.example/gana-un-premio"}


@pytest.fixture
def victim(staff) -> Client:
    """A logged-in browser that enforces CSRF, as the real server does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    return client


def _state():
    return (
        sorted(Customer.objects.values_list("pk", "nombre", "rfc")),
        sorted(Org.objects.values_list("pk", "nombre")),
        sorted(Invoice.objects.values_list("pk", "status")),
        sorted(ApiKey.objects.values_list("pk", "revoked_at")),
        sorted(GatewayConnection.objects.values_list("pk", "status")),
    )


@pytest.mark.parametrize(("name", "args", "data"), [
    ("dashboard:customer_new", [], {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "email": "x@evil.example"}),
    ("dashboard:api_keys", [], {"name": "robada", "scopes": ["read", "write"]}),
    ("dashboard:invoice_discard", ["invoice"], {}),
    ("dashboard:invoice_retry", ["invoice"], {}),
    ("dashboard:gateway_connect_stripe", [], {"stripe-secret": "whsec_atacante"}),
    ("dashboard:settings", [], {"nombre": "ORG SECUESTRADA"}),
])
def test_a_cross_site_post_is_refused_and_changes_nothing(victim, invoice, name, args, data):
    # given a member's session and the state before
    url = reverse(name, args=[invoice.pk if a == "invoice" else a for a in args])
    before = _state()
    # when another site makes the browser post the form without the CSRF token
    response = victim.post(url, data, headers=EVIL)
    # then
    assert response.status_code == 403
    assert _state() == before


def test_the_same_post_with_the_token_from_the_page_goes_through(victim, invoice):
    # the control: the refusal above is CSRF, not the form being wrong
    page = victim.get(reverse("dashboard:invoice_detail", args=[invoice.pk]))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else victim.cookies["csrftoken"].value

    response = victim.post(reverse("dashboard:invoice_discard", args=[invoice.pk]), {"csrfmiddlewaretoken": token})

    assert response.status_code in (200, 302)
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"
