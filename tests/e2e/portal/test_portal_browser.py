"""The portal in a real browser, desktop and a 375 px phone: a Stripe charge without fiscal data
emails its payer; the payer opens the link from that email, uploads their CSF, corrects what the
CSF got wrong, saves, watches the waiting invoice get stamped, and downloads the ZIP."""

from __future__ import annotations

import io
import os
import re
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.csf_pdfs import csf_moral
from tests.factories import make_org
from tests.integration.portal.conftest import anonymous_charge, portal_links
from tests.unit.payments.stripe_events import SECRET, body, sign
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment
from timbra.payments.services.connections import connect_stripe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def emailed_link(live_server, settings) -> str:
    """A real charge through the real webhook; the link is read from the email it sent."""
    settings.TIMBRA_BASE_URL = live_server.url
    org = make_org(as_of=timezone.now())
    org.brand_color = "#7A1F5C"
    org.save(update_fields=["brand_color"])
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=timezone.now())
    mail.outbox.clear()
    payload = body(anonymous_charge())
    response = Client().post(f"/hooks/stripe/{connection.webhook_token}", data=payload,
                             content_type="application/json",
                             headers={"Stripe-Signature": sign(payload, SECRET,
                                                               timestamp=int(timezone.now().timestamp()))})
    assert response.status_code == 200 and Payment.objects.get().status == Payment.AWAITING_FISCAL_DATA
    (message,) = [m for m in mail.outbox if m.to == ["ana@example.com"]]
    (url,) = portal_links(message)
    assert url.startswith(live_server.url)
    return url


def test_the_payer_uploads_a_csf_corrects_it_and_gets_the_invoice_stamped(page, emailed_link, tmp_path):
    # given the link from the email, opened in the browser
    page.goto(emailed_link)
    assert page.get_by_text("Espera tus datos fiscales").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    # when the payer uploads a CSF whose CP is stale (the SAT registry says 42501)
    csf = tmp_path / "constancia.pdf"
    csf.write_bytes(csf_moral(rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN", cp="42500"))
    page.set_input_files("input[name=constancia]", str(csf))
    page.get_by_role("button", name="Leer mi constancia").click()
    # then the form is pre-filled for confirmation
    assert page.input_value("input[name=rfc]") == "EWE1709045U0"
    assert page.input_value("input[name=nombre]") == "EDGAR WALDO ERDMANN"
    assert page.input_value("select[name=regimen_fiscal]") == "601"
    # and live validation answers while typing
    page.fill("input[name=codigo_postal]", "4250")
    page.wait_for_selector("#error-codigo_postal:has-text('5 dígitos')")
    page.fill("input[name=codigo_postal]", "42501")
    page.wait_for_function("document.getElementById('error-codigo_postal').textContent.trim() === ''")
    # when they save
    page.get_by_role("button", name="Guardar mis datos").click()
    # then the page shows the invoice stamped within seconds, with its files
    page.wait_for_selector("#status-card .stamped-invoice:has-text('Timbrada')", timeout=20_000)
    if shots := os.environ.get("TIMBRA_SCREENSHOTS"):  # for a person to look at the layout
        page.screenshot(path=f"{shots}/portal-{page.viewport_name}.png", full_page=True)
    invoice = Invoice.objects.get()
    assert invoice.uuid and invoice.customer.rfc == "EWE1709045U0"
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    # and the ZIP of today holds its PDF and XML
    today = timezone.localdate()
    page.fill("input[name=desde]", (today - timedelta(days=1)).isoformat())
    page.fill("input[name=hasta]", (today + timedelta(days=1)).isoformat())
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Descargar ZIP")).click()
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    names = archive.namelist()
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["pdf", "xml"]
    assert invoice.uuid.encode() in archive.read([n for n in names if n.endswith(".xml")][0])
