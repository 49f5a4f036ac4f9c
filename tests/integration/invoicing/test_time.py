"""Time is explicit: CFDI Fecha is local time at the lugar de expedición (Tijuana is not CDMX)."""

from __future__ import annotations

import pytest

from tests.factories import SAT_DIR, make_customer, make_invoice
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.process import process_invoice
from timbra.orgs import csds
from timbra.orgs.services import create_org

pytestmark = pytest.mark.django_db


def test_an_issuer_in_tijuana_gets_tijuana_local_fecha_and_is_stamped(frozen):
    # given an issuer whose lugar de expedición is in Tijuana (UTC-8 in November)
    org = create_org(rfc="EKU9003173C9", nombre="ESCUELA KEMPER URGATE", regimen_fiscal="601",
                     lugar_expedicion="22000")
    certs = SAT_DIR / "certs"
    csds.upload_csd(org, cer=(certs / "EKU9003173C9.cer").read_bytes(),
                    key=(certs / "EKU9003173C9.key").read_bytes(), password="12345678a",
                    as_of=org.created_at)
    assert org.timezone == "America/Tijuana"
    # when it issues at 10:00 Mexico City time
    invoice = make_invoice(org, make_customer(org))
    done = process_invoice(invoice.pk, as_of=invoice.created_at)
    # then Fecha is 08:00 local and the PAC (which reads Fecha in the CP's zone) accepts it
    assert done.fecha == "2026-11-20T08:00:00"
    assert done.status == InvoiceStatus.DELIVERED, done.hold_message
