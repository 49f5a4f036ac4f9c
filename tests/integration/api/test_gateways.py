"""The gateways API: connections (secrets only as hints), events (reprocess), gateway payments,
and POST /payments with purpose "invoice" (exactly one PUE invoice per external_id)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.integration.api.conftest import ApiClient, error_of, make_token
from tests.integration.payments.conftest import Deliverer
from tests.unit.payments.stripe_events import OTHER_SECRET, SECRET, event
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, WebhookEvent
from timbra.payments.services.connections import signing_secrets

pytestmark = pytest.mark.django_db

SALE = {"purpose": "invoice", "external_id": "venta-001", "fecha_pago": "2026-11-20", "monto": "1160.00",
        "metodo": "transferencia", "descripcion": "Consultoría noviembre"}


@pytest.fixture
def deliver(django_capture_on_commit_callbacks) -> Deliverer:
    return Deliverer(django_capture_on_commit_callbacks)


def test_connecting_stripe_shows_the_webhook_url_and_never_the_secrets(api):
    # when
    first = api.post("/gateway-connections", {"signing_secret": SECRET, "api_key": "rk_test_abcdefghijkl1234"})
    again = api.post("/gateway-connections", {"signing_secret": OTHER_SECRET})
    # then
    assert first.status_code == 201 and again.status_code == 200
    body = again.json()
    assert body["webhook_url"].endswith(f"/hooks/stripe/{GatewayConnection.objects.get().webhook_token}")
    assert [h["hint"] for h in body["signing_secrets"]] == [f"whsec_…{SECRET[-4:]}", f"whsec_…{OTHER_SECRET[-4:]}"]
    assert body["api_key_hint"] == "rk_test_…1234"
    for response in (first, again, api.get("/gateway-connections")):
        assert SECRET.encode() not in response.content and OTHER_SECRET.encode() not in response.content
        assert b"rk_test_abcdefghijkl1234" not in response.content


def test_connecting_needs_the_keys_scope(org):
    response = ApiClient(make_token(org, scopes="read,write")).post("/gateway-connections", {"signing_secret": SECRET})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"


def test_rotating_keeps_the_old_secret_until_it_is_retired(api, stripe):
    # when: a new secret is added, then the old one removed
    added = api.post(f"/gateway-connections/{stripe.pk}/signing-secrets", {"signing_secret": OTHER_SECRET}).json()
    assert len(added["signing_secrets"]) == 2
    old_id = added["signing_secrets"][0]["id"]
    removed = api.delete(f"/gateway-connections/{stripe.pk}/signing-secrets/{old_id}")
    # then
    assert removed.status_code == 200
    stripe.refresh_from_db()
    assert signing_secrets(stripe) == [OTHER_SECRET]
    last = removed.json()["signing_secrets"][0]["id"]
    refused = api.delete(f"/gateway-connections/{stripe.pk}/signing-secrets/{last}")
    assert refused.status_code == 422 and error_of(refused)["code"] == "last_secret"


def test_rotating_with_retire_others_leaves_only_the_new_secret(api, stripe):
    response = api.post(f"/gateway-connections/{stripe.pk}/signing-secrets",
                        {"signing_secret": OTHER_SECRET, "retire_others": True})
    assert response.status_code == 200 and len(response.json()["signing_secrets"]) == 1
    stripe.refresh_from_db()
    assert signing_secrets(stripe) == [OTHER_SECRET]


def test_a_disabled_connection_refuses_webhooks_until_enabled_again(api, stripe, deliver):
    assert api.patch(f"/gateway-connections/{stripe.pk}", {"status": "disabled"}).json()["status"] == "disabled"
    assert deliver(stripe, event("charge_succeeded_oneoff")).status_code == 404
    api.patch(f"/gateway-connections/{stripe.pk}", {"status": "active", "metadata_keys": {"rfc": "tax_id"}})
    stripe.refresh_from_db()
    assert stripe.metadata_keys == {"rfc": "tax_id"}
    assert deliver(stripe, event("charge_succeeded_oneoff")).status_code == 200


def test_events_list_filters_and_shows_the_raw_payload_and_what_it_produced(api, stripe, deliver):
    # given: one invoiced charge and one ignored event type
    deliver(stripe, event("charge_succeeded_oneoff"))
    deliver(stripe, {**event("charge_succeeded_oneoff", event_id="evt_otro"), "type": "customer.created"})
    # when
    processed = api.get("/gateway-events", {"status": "processed"}).json()["data"]
    by_type = api.get("/gateway-events", {"type": "customer.created"}).json()["data"]
    detail = api.get(f"/gateway-events/{processed[0]['id']}").json()
    # then
    assert len(processed) == 1 and len(by_type) == 1 and by_type[0]["event_id"] == "evt_otro"
    invoice = Invoice.objects.get()
    assert detail["invoice"]["id"] == invoice.pk and detail["payment_id"] == Payment.objects.get().pk
    assert detail["payload"]["id"] == "evt_3QhMa1LkdIwHu7ix0OnEoF01"


def test_reprocessing_a_failed_event_invoices_it_once(api, stripe, deliver, django_capture_on_commit_callbacks):
    # given: an event that failed
    deliver(stripe, event("charge_succeeded_oneoff"))
    row = WebhookEvent.objects.get()
    Invoice.objects.all().delete()
    Payment.objects.all().delete()
    WebhookEvent.objects.filter(pk=row.pk).update(status=WebhookEvent.FAILED, reason="falló")
    # when: reprocessed twice
    for key in ("r1", "r2"):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/gateway-events/{row.pk}/reprocess", key=key)
    # then: the first ran it; the second finds it processed
    assert response.status_code == 422 and error_of(response)["code"] == "event_not_open"
    assert Invoice.objects.count() == 1
    assert api.get(f"/gateway-events/{row.pk}").json()["status"] == "processed"


def test_gateway_payments_show_fee_forma_de_pago_status_and_invoice(api, stripe, deliver):
    deliver(stripe, event("charge_succeeded_oneoff"))
    rows = api.get("/gateway-payments", {"status": "invoiced"}).json()["data"]
    assert len(rows) == 1
    detail = api.get(f"/gateway-payments/{rows[0]['id']}").json()
    assert detail["status_label"] == "Facturado" and detail["invoice"]["id"] == Invoice.objects.get().pk
    assert detail["provider"] == "stripe" and detail["forma_pago"]
    assert api.get("/gateway-payments", {"status": "failed"}).json()["data"] == []


def test_a_sale_reported_with_purpose_invoice_becomes_one_pue_invoice(api, customer, django_capture_on_commit_callbacks):
    # when: posted, retried with another Idempotency-Key, and replayed with the same one
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/payments", {**SALE, "customer_id": customer.pk}, key="k1")
    retry = api.post("/payments", {**SALE, "customer_id": customer.pk}, key="k2")
    replay = api.post("/payments", {**SALE, "customer_id": customer.pk}, key="k1")
    # then
    assert (first.status_code, retry.status_code, replay.status_code) == (201, 200, 201)
    invoice = Invoice.objects.get()
    assert invoice.metodo_pago == "PUE" and invoice.forma_pago == "03" and invoice.customer_id == customer.pk
    assert invoice.status == InvoiceStatus.DELIVERED and invoice.total == Decimal("1160.00")
    body = retry.json()
    assert body["external_id"] == "venta-001" and body["provider"] == "external" and body["status"] == "invoiced"
    assert body["invoice"]["id"] == invoice.pk


def test_the_same_external_id_with_another_amount_is_a_conflict(api, customer):
    api.post("/payments", {**SALE, "customer_id": customer.pk})
    response = api.post("/payments", {**SALE, "customer_id": customer.pk, "monto": "99.00"})
    assert response.status_code == 409 and error_of(response)["code"] == "external_id_conflict"
    assert Invoice.objects.count() == 1


def test_a_sale_with_inline_fiscal_data_creates_the_customer(api):
    customer = {"rfc": "EWE1709045U0", "nombre": "EDGAR WALDO ERDMANN", "codigo_postal": "42501",
                "regimen_fiscal": "601", "email": "edgar@example.com"}
    response = api.post("/payments", {**SALE, "customer": customer, "forma_de_pago": "04", "metodo": "",
                                      "lines": [{"descripcion": "Plan anual", "amount": "1000.00"},
                                                {"descripcion": "Soporte", "amount": "160.00"}]})
    assert response.status_code == 201, response.json()
    invoice = Invoice.objects.get()
    assert invoice.customer.rfc == "EWE1709045U0" and invoice.lines.count() == 2 and invoice.forma_pago == "04"


def test_a_sale_without_fiscal_data_waits_visibly(api):
    response = api.post("/payments", {**SALE, "customer": {"email": "nadie@example.com"}})
    assert response.status_code == 201
    assert response.json()["status"] == "awaiting_fiscal_data" and "RFC" in response.json()["status_reason"]
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"applications": [{"invoice_id": 1, "amount": "1.00"}]}, "applications"),
    ({"external_id": None}, "external_id"),
    ({"metodo": "trueque"}, "metodo"),
    ({"descripcion": ""}, "descripcion"),
])
def test_a_sale_with_bad_fields_is_refused_in_spanish(api, customer, change, field):
    response = api.post("/payments", {**SALE, "customer_id": customer.pk, **change})
    assert response.status_code == 422
    assert Payment.objects.count() == 0


def test_apply_payments_refuse_invoice_only_fields(api, customer):
    response = api.post("/payments", {"customer_id": customer.pk, "fecha_pago": "2026-11-19", "forma_de_pago": "03",
                                      "monto": "1.00", "descripcion": "x"})
    assert response.status_code == 422 and error_of(response)["code"] == "validation_error"


def test_a_sale_for_another_orgs_customer_is_404(api, frozen):
    from tests.factories import make_customer, make_org

    other = make_customer(make_org(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA", with_csd=False))
    response = api.post("/payments", {**SALE, "customer_id": other.pk})
    assert response.status_code == 404 and Payment.objects.count() == 0


def test_gateway_payments_refuse_an_unknown_status_filter(api):
    assert api.get("/gateway-payments", {"status": "pagado"}).status_code == 422


def test_connecting_mercado_pago_returns_its_webhook_url(api):
    response = api.post("/gateway-connections", {"provider": "mercadopago",
                                                 "signing_secret": "c0ffee5ecret0123456789abcdef"})
    assert response.status_code == 201
    assert "/hooks/mercadopago/" in response.json()["webhook_url"]
    assert b"c0ffee5ecret0123456789abcdef" not in response.content


def test_a_reported_sale_is_kept_in_the_events_inbox_with_its_metadata(api, customer):
    api.post("/payments", {**SALE, "customer_id": customer.pk, "metadata": {"canal": "mostrador"}})
    rows = api.get("/gateway-events", {"type": "payment.reported"}).json()["data"]
    assert len(rows) == 1 and rows[0]["invoice"]["id"] == Invoice.objects.get().pk
    detail = api.get(f"/gateway-events/{rows[0]['id']}").json()
    assert detail["payload"]["data"]["object"]["metadata"] == {"canal": "mostrador"}
    assert api.get("/gateway-connections").json() == []  # the internal connection is not a gateway
