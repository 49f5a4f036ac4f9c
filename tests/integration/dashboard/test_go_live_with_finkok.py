"""Issue 11, end to end: a business onboards itself through the dashboard (real HTTP, real forms), uploads
SAT's test CSD, configures the real Finkok adapter against the fake Finkok server (Finkok's SOAP), switches
to live, issues and stamps a live invoice, cancels it with motive 02, and corrects another one with
«Corregir y sustituir» (motive 01). The SAT's status service is the fake ConsultaCFDIService, which
answers from what the fake Finkok stamped and cancelled."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.fakes import FakeFinkok, serve
from tests.fakes.sat_status import serve_sat_status
from tests.integration.dashboard.test_invoice_new import _post
from tests.integration.dashboard.test_onboarding_wizard import COMPANY, csd_files, signed_up, url
from timbra.customers.models import Customer
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.cancel_progress import advance_cancellation
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org

pytestmark = pytest.mark.django_db
ACCOUNT = {"username": "kemper@example.com", "password": "finkok-secreto-123"}
CUSTOMER = {"rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
            "codigo_postal": "86991", "uso_cfdi": "G03", "emails": "cuentas@robotica.example"}
LINE = {"descripcion": "Consultoría", "clave_prod_serv": "80101500", "clave_unidad": "E48", "cantidad": "1",
        "unit_price": "500", "taxes": ["IVA16"]}


@pytest.fixture
def finkok(tmp_path, settings) -> Any:  # noqa: ANN401
    with serve(FakeFinkok(tmp_path, username=ACCOUNT["username"], password=ACCOUNT["password"])) as running:
        with serve_sat_status(running.fake.core) as sat_url:
            settings.TIMBRA_SAT_STATUS_URL = sat_url
            pacs._built_org_pac.cache_clear()
            yield running
            pacs._built_org_pac.cache_clear()


def test_a_business_onboards_goes_live_with_finkok_stamps_cancels_and_substitutes(
    frozen: Any, finkok: Any, django_capture_on_commit_callbacks: Any
) -> None:
    browser = signed_up(Client())
    # onboarding: company, SAT's test CSD, Finkok (production, at the fake's address), «Probar conexión»
    assert browser.post(url("onboarding_company"), COMPANY)["Location"] == url("onboarding_csd")
    assert browser.post(url("onboarding_csd"), csd_files())["Location"] == url("onboarding_pac")
    browser.post(url("onboarding_pac"), {"name": "finkok", "test_environment": "live", "base_url": finkok.base_url,
                                         "finkok_username": ACCOUNT["username"],
                                         "finkok_password": ACCOUNT["password"]})
    checked = browser.post(url("onboarding_pac_check"), follow=True).content.decode()
    assert "Conexión correcta con Finkok." in checked
    # the switch to live
    browser.post(url("onboarding_live"), {"action": "activate"}, follow=True)
    org = Org.objects.get()
    assert org.live_enabled_at is not None and browser.session["dashboard_livemode"] is True
    # a live customer and a live invoice, through the dashboard's forms
    browser.post(url("customer_new"), CUSTOMER)
    customer = Customer.objects.get(org=org, livemode=True)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(url("invoice_new"), _post(customer, LINE))
    first = Invoice.objects.get(org=org, livemode=True)
    # stamped by Finkok (its fake), not by the sandbox: a UUID Finkok knows, in production
    assert (first.status, first.pac) == (InvoiceStatus.DELIVERED, "finkok"), first.hold_message
    assert first.uuid in finkok.fake.core.stamps
    # cancel with motive 02 from the invoice page; Finkok files it, the SAT's status service confirms
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("dashboard:invoice_cancel", args=[first.pk]), {"motivo": "02"})
    first = _settle(first)
    assert (first.status, first.cancellation_motive) == (InvoiceStatus.CANCELLED, "02"), first.cancellation_status
    assert finkok.fake.core.cancellations == {first.uuid: 1}
    # a second invoice, corrected with «Corregir y sustituir»: the substitute is stamped (relation 04),
    # then the original is cancelled with motive 01 and the substitute's UUID
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(url("invoice_new"), _post(customer, LINE))
    second = Invoice.objects.filter(org=org, livemode=True).exclude(pk=first.pk).get()
    assert second.status == InvoiceStatus.DELIVERED
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(reverse("dashboard:invoice_correct", args=[second.pk]),
                     _post(customer, {**LINE, "descripcion": "Consultoría (corregida)"}))
    substitute = Invoice.objects.filter(org=org, livemode=True).exclude(pk__in=[first.pk, second.pk]).get()
    assert substitute.status == InvoiceStatus.DELIVERED and substitute.related == [
        {"tipo_relacion": "04", "uuids": [second.uuid]}]
    second = _settle(second)
    assert (second.status, second.cancellation_motive) == (InvoiceStatus.CANCELLED, "01"), second.cancellation_status
    assert second.uuid in finkok.fake.core.cancellations and substitute.uuid not in finkok.fake.core.cancellations


def _settle(invoice: Invoice) -> Invoice:
    """Run the cancellation's next steps as the job and the sweeper would (filing, then the SAT's answer)."""
    for _ in range(3):
        invoice.refresh_from_db()
        if invoice.status != InvoiceStatus.CANCELLATION_PENDING:
            break
        advance_cancellation(invoice.pk, as_of=invoice.status_changed_at)
    invoice.refresh_from_db()
    return invoice
