"""The Factura global page: the open period so far, a preview of the next global, past globals
and the org's settings; never another org's receipts."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from tests.factories import make_org
from tests.integration.dashboard.conftest import make_staff
from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from timbra.globalinvoice.models import GlobalInvoiceSettings
from timbra.globalinvoice.services.issue import issue_due_global_invoices

pytestmark = pytest.mark.django_db
OCTOBER = datetime(2026, 10, 30, 12, 0, tzinfo=TIJUANA)
NOVEMBER = datetime(2026, 11, 20, 9, 0, tzinfo=TIJUANA)


@pytest.fixture
def shop(client):
    with time_machine.travel(OCTOBER, tick=False):
        org = make_tijuana_org(as_of=OCTOBER)
        sell(org, "T-OCT", "116.00", OCTOBER)
    with time_machine.travel(NOVEMBER, tick=False):
        issue_due_global_invoices(as_of=NOVEMBER)
        sell(org, "T-1", "116.00", NOVEMBER, forma_pago="01")
        sell(org, "T-2", "232.00", NOVEMBER, forma_pago="04")
    client.force_login(make_staff(org))
    return org, client


def test_the_page_shows_the_open_period_the_preview_and_past_globals(shop):
    org, client = shop
    with time_machine.travel(NOVEMBER, tick=False):
        page = client.get("/factura-global/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 al 30 de noviembre de 2026" in html and "$348.00" in html
    assert "Periodicidad 04 · Meses 11 · Año 2026" in html and "04 – Tarjeta de crédito" in html
    assert "1 al 31 de octubre de 2026" in html  # October's global, issued


def test_the_settings_are_saved_and_bimonthly_is_refused_outside_rif(shop):
    org, client = shop
    with time_machine.travel(NOVEMBER, tick=False):
        saved = client.post("/factura-global/", {"periodicity": "weekly", "claim_days": "3",
                                                 "after_global_policy": "egreso"})
        refused = client.post("/factura-global/", {"periodicity": "bimonthly", "claim_days": "3",
                                                   "after_global_policy": "egreso"})
    assert saved.status_code == 302
    config = GlobalInvoiceSettings.objects.get(org=org)
    assert (config.periodicity, config.claim_days, config.after_global_policy) == ("weekly", 3, "egreso")
    assert refused.status_code == 200 and GlobalInvoiceSettings.objects.get(org=org).periodicity == "weekly"


def test_another_orgs_receipts_never_show(shop):
    org, client = shop
    with time_machine.travel(NOVEMBER, tick=False):
        other = make_org(as_of=NOVEMBER)
        sell(other, "AJENO-1", "9999.00", NOVEMBER)
        html = client.get("/factura-global/").content.decode()
    assert "9,999.00" not in html and "$348.00" in html


def test_the_cobro_page_shows_the_receipts_autofactura_code(shop):
    from timbra.globalinvoice.models import Receipt
    from timbra.globalinvoice.selectors import display_code

    org, client = shop
    receipt = Receipt.objects.filter(org=org, status=Receipt.OPEN).first()
    with time_machine.travel(NOVEMBER, tick=False):
        html = client.get(f"/cobros/{receipt.payment_id}/").content.decode()
    assert display_code(receipt.code) in html and "/portal/autofactura/" in html
