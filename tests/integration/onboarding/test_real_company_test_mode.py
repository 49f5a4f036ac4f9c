"""A real business (its own RFC and CSD, not SAT's test issuer) tries test mode before going live."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from tests.factories import NOW, make_customer, make_invoice
from timbra.cfdi.pac import PacRejected
from timbra.cfdi.sandbox_checks import check_emisor
from timbra.cfdi.sandbox_pac import _EmisorRegistry
from timbra.csd.testca import mint_csd
from timbra.domain.status import InvoiceStatus
from timbra.orgs import csds
from timbra.orgs.onboarding import create_company
from timbra.sandbox.service import registered_issuer

pytestmark = pytest.mark.django_db


def test_its_first_test_invoice_is_stamped_by_the_sandbox(frozen, django_capture_on_commit_callbacks):
    # given: a company the SAT's test registry does not know, with a CSD of its own
    org = create_company(owner=None, rfc="AAA010101AAA", nombre="Abarrotes del Centro", regimen_fiscal="601",
                         lugar_expedicion="06600", actor="ana", as_of=NOW)
    minted = mint_csd("AAA010101AAA", "ABARROTES DEL CENTRO", valid_from=NOW - timedelta(days=30),
                      valid_to=NOW + timedelta(days=365), password="clave-del-csd")
    csds.upload_csd(org, cer=minted.cer, key=minted.key, password="clave-del-csd", as_of=NOW)
    customer = make_customer(org)  # a SAT test receptor
    # when
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer)
    # then
    invoice.refresh_from_db()
    assert (invoice.status, invoice.pac, invoice.hold_code) == (InvoiceStatus.DELIVERED, "sandbox", "")


def test_an_issuer_neither_in_the_sat_test_registry_nor_onboarded_is_refused():
    registry = _EmisorRegistry({}, registered_issuer)
    root = etree.fromstring(b'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4">'
                            b'<cfdi:Emisor Rfc="AAA010101AAA" Nombre="X" RegimenFiscal="601"/></cfdi:Comprobante>')

    with pytest.raises(PacRejected) as rejected:
        check_emisor(root, registry)

    assert rejected.value.code == "402"
