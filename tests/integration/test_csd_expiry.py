"""Orgs are warned before their CSD expires (an expired CSD holds every invoice)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tests.factories import make_customer, make_invoice, make_org
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.process import process_invoice
from timbra.orgs.expiry import warn_expiring_csds

pytestmark = pytest.mark.django_db

MX = ZoneInfo("America/Mexico_City")
EXPIRES = datetime(2027, 5, 18, 12, tzinfo=ZoneInfo("UTC"))  # the SAT test CSD


def test_the_org_is_warned_once_a_week_within_thirty_days_of_expiry(frozen):
    make_org()
    assert warn_expiring_csds(as_of=EXPIRES - timedelta(days=45)) == 0
    assert warn_expiring_csds(as_of=EXPIRES - timedelta(days=20)) == 1
    assert warn_expiring_csds(as_of=EXPIRES - timedelta(days=19)) == 0  # already warned this week
    assert warn_expiring_csds(as_of=EXPIRES - timedelta(days=12)) == 1
    assert len(mail.outbox) == 2
    assert "vence" in mail.outbox[0].body


def test_an_expired_csd_holds_the_invoice_with_a_clear_reason(frozen):
    org = make_org()
    invoice = make_invoice(org, make_customer(org))
    held = process_invoice(invoice.pk, as_of=EXPIRES + timedelta(days=1))
    assert held.status == InvoiceStatus.HELD
    assert held.hold_code == "csd_expired"
    assert "venció" in held.hold_message
