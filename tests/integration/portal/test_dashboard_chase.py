"""The chase loop in the dashboard: Requiere atención lists the waiting charges with their
deadline, the Cobro page assigns a customer (existing or typed), and the org sets its reminders."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_customer, make_org
from tests.integration.dashboard.conftest import make_staff
from tests.integration.portal.conftest import ANA
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.portal.models import ChasePolicy, PortalEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(org, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(make_staff(org))
    return client


def test_requiere_atencion_lists_the_waiting_charge_with_its_deadline(waiting_payment, staff_client):
    page = staff_client.get("/atencion/").content.decode()
    assert "Espera los datos fiscales del cliente: pasa a la factura global el 01/" in page
    assert f"/cobros/{waiting_payment.pk}/#asignar-cliente" in page and "ANA PEREZ" in page


def test_the_cobro_page_assigns_an_existing_customer_and_invoices_the_charge(
        org, waiting_payment, staff_client, django_capture_on_commit_callbacks):
    customer = make_customer(org, rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN", regimen="601", cp="42501")
    page = staff_client.get(f"/cobros/{waiting_payment.pk}/").content.decode()
    assert "Asignar cliente" in page and "enlace inicial (enviado" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/cobros/{waiting_payment.pk}/cliente/",
                                     {"existente": "1", "customer": customer.pk})
    assert response.status_code == 302
    waiting_payment.refresh_from_db()
    assert waiting_payment.status == Payment.INVOICED and waiting_payment.invoice.customer_id == customer.pk
    event = PortalEvent.objects.get(kind=PortalEvent.CUSTOMER_ASSIGNED)
    assert event.actor == "Ana López" and event.payment_id == waiting_payment.pk


def test_the_cobro_page_creates_the_customer_from_typed_data(waiting_payment, staff_client,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/cobros/{waiting_payment.pk}/cliente/", {"nuevo": "1", **ANA,
                                                                                "emails": "ana@example.com"})
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.rfc == "EWE1709045U0" and Invoice.objects.get().customer_id == customer.pk


def test_typed_data_is_validated_like_everywhere_else(waiting_payment, staff_client):
    response = staff_client.post(f"/cobros/{waiting_payment.pk}/cliente/", {"nuevo": "1", **ANA,
                                                                            "regimen_fiscal": "605"})
    assert response.status_code == 400 and "no corresponde a una persona moral" in response.content.decode()
    assert not Customer.objects.exists()


def test_another_orgs_customer_cannot_be_assigned(waiting_payment, staff_client):
    foreign = make_customer(make_org(nombre="OTRA EMPRESA"))
    response = staff_client.post(f"/cobros/{waiting_payment.pk}/cliente/", {"existente": "1", "customer": foreign.pk})
    assert response.status_code == 400
    waiting_payment.refresh_from_db()
    assert waiting_payment.customer_id is None


def test_the_org_sets_its_reminder_schedule_and_sees_its_public_page(org, staff_client):
    page = staff_client.get("/ajustes/portal/").content.decode()
    assert "/portal/negocio/" in page
    response = staff_client.post("/ajustes/portal/", {"enabled": "on", "reminder_days": "7, 1"})
    assert response.status_code == 302
    assert ChasePolicy.objects.get(org=org).reminder_days == [1, 7]
    bad = staff_client.post("/ajustes/portal/", {"enabled": "on", "reminder_days": "uno"})
    assert bad.status_code == 200 and "entre 1 y 60" in bad.content.decode()


def test_staff_revoke_a_customers_links(org, staff_client):
    customer = make_customer(org)
    response = staff_client.post(f"/clientes/{customer.pk}/revocar-enlaces/")
    assert response.status_code == 302
    assert PortalEvent.objects.filter(kind=PortalEvent.LINKS_REVOKED, actor="Ana López").exists()
