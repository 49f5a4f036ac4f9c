"""Pasarelas, Eventos and Cobros pages: connections (secrets only as hints), raw events shown
escaped, "Reprocesar" (POST with CSRF), gateway payments with their invoice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import NOW
from tests.integration.gateway_rows import make_gateway_rows
from tests.integration.payments.conftest import Deliverer
from tests.unit.payments.stripe_events import OTHER_SECRET, SECRET, event
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.connections import signing_secrets

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(django_capture_on_commit_callbacks) -> Deliverer:
    return Deliverer(django_capture_on_commit_callbacks)


def test_the_connections_page_offers_to_connect_stripe_when_none_is_connected(client_in):
    page = client_in.get(reverse("dashboard:gateways"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Aún no hay pasarelas conectadas" in html
    assert "Conectar Stripe" in html and "Conectar Conekta" in html and "Conectar Mercado Pago" in html


def test_connecting_stripe_from_the_page_shows_its_webhook_url_and_only_a_hint(client_in, org):
    response = client_in.post(reverse("dashboard:gateway_connect_stripe"), {"stripe-secret": SECRET},
                              follow=True)
    html = response.content.decode()
    connection = GatewayConnection.objects.get(org=org)
    assert f"/hooks/stripe/{connection.webhook_token}" in html and f"whsec_…{SECRET[-4:]}" in html
    assert SECRET not in html and "Copiar" in html


def test_a_bad_secret_is_refused_in_spanish(client_in):
    response = client_in.post(reverse("dashboard:gateway_connect_stripe"), {"stripe-secret": "abc"})
    assert response.status_code == 422 and "whsec_" in response.content.decode()
    assert GatewayConnection.objects.count() == 0


def test_rotating_a_secret_keeps_both_until_the_old_one_is_removed(client_in, stripe):
    client_in.post(reverse("dashboard:gateway_secret_add", args=[stripe.pk]),
                   {f"s{stripe.pk}-signing_secret": OTHER_SECRET})
    stripe.refresh_from_db()
    assert signing_secrets(stripe) == [SECRET, OTHER_SECRET]
    old = stripe.signing_secret_hints[0]["id"]
    client_in.post(reverse("dashboard:gateway_secret_remove", args=[stripe.pk, old]))
    stripe.refresh_from_db()
    assert signing_secrets(stripe) == [OTHER_SECRET]


def test_api_key_metadata_and_disable(client_in, stripe):
    client_in.post(reverse("dashboard:gateway_api_key", args=[stripe.pk]),
                   {f"k{stripe.pk}-api_key": "rk_test_abcdefghijkl9876"})
    client_in.post(reverse("dashboard:gateway_metadata", args=[stripe.pk]), {f"m{stripe.pk}-rfc": "tax_id"})
    client_in.post(reverse("dashboard:gateway_toggle", args=[stripe.pk]), {"status": "disabled"})
    stripe.refresh_from_db()
    assert stripe.api_key_hint == "rk_test_…9876" and stripe.metadata_keys == {"rfc": "tax_id"}
    assert stripe.status == GatewayConnection.DISABLED
    html = client_in.get(reverse("dashboard:gateways")).content.decode()
    assert "rk_test_abcdefghijkl9876" not in html and "rk_test_…9876" in html and "Activar" in html


def test_the_events_page_lists_filters_and_links_what_each_event_produced(client_in, stripe, deliver):
    deliver(stripe, event("charge_succeeded_oneoff"))
    deliver(stripe, {**event("charge_succeeded_oneoff", event_id="evt_otro"), "type": "customer.created"})
    invoice = Invoice.objects.get()
    page = client_in.get(reverse("dashboard:events"), {"status": "processed"}).content.decode()
    assert "charge.succeeded" in page and "customer.created" not in page
    assert reverse("dashboard:invoice_detail", args=[invoice.pk]) in page
    by_type = client_in.get(reverse("dashboard:events"), {"type": "customer.created"}).content.decode()
    assert "evt_otro" in by_type and "evt_3QhMa1LkdIwHu7ix0OnEoF01" not in by_type


def test_an_events_raw_payload_is_shown_pretty_and_escaped(client_in, org):
    rows = make_gateway_rows(org)
    html = client_in.get(reverse("dashboard:event_detail", args=[rows["event_id"]])).content.decode()
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#x27;ajeno&#x27;)&lt;/script&gt;" in html
    assert '"id": "evt_ajeno"' in html.replace("&quot;", '"')
    assert "Reprocesar" in html and "Error de prueba." in html


def test_reprocess_runs_the_event_again_and_needs_csrf(staff, stripe, deliver, django_capture_on_commit_callbacks):
    # given: an invoiced charge whose event is made to look failed, its invoice lost
    deliver(stripe, event("charge_succeeded_oneoff"))
    row = WebhookEvent.objects.get()
    Invoice.objects.all().delete()
    Payment.objects.all().delete()
    WebhookEvent.objects.filter(pk=row.pk).update(status=WebhookEvent.FAILED)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    url = reverse("dashboard:event_reprocess", args=[row.pk])
    # when: without the token
    assert browser.post(url).status_code == 403
    browser.get(reverse("dashboard:event_detail", args=[row.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    # then
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == WebhookEvent.PROCESSED and Invoice.objects.count() == 1


def test_a_processed_event_is_not_reprocessed(client_in, stripe, deliver):
    deliver(stripe, event("charge_succeeded_oneoff"))
    row = WebhookEvent.objects.get()
    page = client_in.post(reverse("dashboard:event_reprocess", args=[row.pk]), follow=True).content.decode()
    assert "solo se reprocesan" in page and Invoice.objects.count() == 1


def test_the_payments_page_shows_amount_forma_de_pago_state_and_invoice(client_in, stripe, deliver, org):
    deliver(stripe, event("charge_succeeded_oneoff"))
    rows = make_gateway_rows_waiting(org)
    invoice = Invoice.objects.get()
    page = client_in.get(reverse("dashboard:gateway_payments")).content.decode()
    assert "Facturado" in page and "Esperando datos fiscales" in page
    assert reverse("dashboard:invoice_detail", args=[invoice.pk]) in page
    waiting = client_in.get(reverse("dashboard:gateway_payments"), {"status": "awaiting_fiscal_data"}).content.decode()
    assert "Facturado</span>" not in waiting
    detail = client_in.get(reverse("dashboard:gateway_payment_detail", args=[rows.pk])).content.decode()
    assert "Faltan datos fiscales" in detail


def make_gateway_rows_waiting(org: Org) -> Payment:
    connection = GatewayConnection.objects.get(org=org, provider="stripe")
    return Payment.objects.create(
        org=org, connection=connection, provider="stripe", key="pi_espera", source_kind="charge", currency="MXN",
        amount=Decimal("50.00"), forma_pago="04", paid_at=NOW, status=Payment.AWAITING_FISCAL_DATA,
        status_reason="Faltan datos fiscales del cliente: RFC.", created_at=NOW, updated_at=NOW,
    )


def test_another_orgs_rows_are_404(client_in, foreign):
    rows = make_gateway_rows(foreign["org"])
    for name, kwargs in [("event_detail", {"event_id": rows["event_id"]}),
                         ("gateway_payment_detail", {"payment_id": rows["payment_id"]})]:
        assert client_in.get(reverse(f"dashboard:{name}", kwargs=kwargs)).status_code == 404
    assert client_in.post(reverse("dashboard:event_reprocess", args=[rows["event_id"]])).status_code == 404
    assert client_in.post(reverse("dashboard:gateway_toggle", args=[rows["connection_id"]]),
                          {"status": "disabled"}).status_code == 404
    assert GatewayConnection.objects.get(pk=rows["connection_id"]).status == GatewayConnection.ACTIVE
    assert "evt_ajeno" not in client_in.get(reverse("dashboard:events")).content.decode()


def test_connecting_mercado_pago_from_the_page(client_in, org):
    client_in.post(reverse("dashboard:gateway_connect_mercadopago"),
                   {"mercadopago-secret": "c0ffee5ecret0123456789abcdef", "mercadopago-api_key": ""})
    connection = GatewayConnection.objects.get(org=org)
    assert connection.provider == "mercadopago"
    html = client_in.get(reverse("dashboard:gateways")).content.decode()
    assert f"/hooks/mercadopago/{connection.webhook_token}" in html and "c0ffee5ecret0123456789abcdef" not in html
    assert "Conectar Mercado Pago" not in html and "Conectar Stripe" in html
