"""A refund of a receipt already in a stamped global invoice: an Egreso to PUBLICO EN GENERAL
related (TipoRelacion 01) to the global's UUID, for that receipt only, valid by SAT's files."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from tests.sat_official import assert_valid_cfdi
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.services.issue import issue_due_global_invoices
from timbra.invoicing.models import InvoiceDocument
from timbra.invoicing.process import process_invoice
from timbra.payments.gateways.base import NormalizedRefund
from timbra.payments.models import Refund
from timbra.payments.services.credit_notes import credit_refund
from timbra.payments.services.refunds import record_refund

pytestmark = pytest.mark.django_db
NS = "{http://www.sat.gob.mx/cfd/4}"
SALE_AT = datetime(2026, 11, 30, 12, 0, tzinfo=TIJUANA)
AFTER_CLOSE = datetime(2026, 12, 1, 0, 30, tzinfo=TIJUANA)
REFUND_AT = datetime(2026, 12, 3, 10, 0, tzinfo=TIJUANA)


def test_a_refund_of_a_receipt_in_a_stamped_global_credits_the_global():
    # given: two receipts in November's stamped global
    with time_machine.travel(SALE_AT, tick=False):
        org = make_tijuana_org(as_of=SALE_AT)
        refunded = sell(org, "T-1", "116.00", SALE_AT)
        sell(org, "T-2", "232.00", SALE_AT)
    with time_machine.travel(AFTER_CLOSE, tick=False):
        [global_id] = issue_due_global_invoices(as_of=AFTER_CLOSE)
        global_invoice = process_invoice(global_id, as_of=AFTER_CLOSE)
    assert global_invoice.status == InvoiceStatus.DELIVERED
    # when: the first sale is refunded in part
    with time_machine.travel(REFUND_AT, tick=False):
        refund, _ = record_refund(refunded.connection, refunded, NormalizedRefund(
            provider="external", refund_id="dev-1", livemode=False, currency="MXN", amount=Decimal("58.00"),
            refunded_at=REFUND_AT, payment_key=refunded.key), as_of=REFUND_AT)
        refund = credit_refund(refund.pk, as_of=REFUND_AT)
        assert refund.status == Refund.CREDITED, refund.status_reason
        egreso = process_invoice(refund.credit_note_id, as_of=REFUND_AT)
    # then
    assert egreso.status == InvoiceStatus.DELIVERED, (egreso.hold_code, egreso.hold_message)
    root = assert_valid_cfdi(bytes(InvoiceDocument.objects.get(invoice=egreso).stamped_xml))
    assert root.get("TipoDeComprobante") == "E" and Decimal(root.get("Total")) == Decimal("58.00")
    related = root.find(f"{NS}CfdiRelacionados")
    assert related.get("TipoRelacion") == "01"
    assert related.find(f"{NS}CfdiRelacionado").get("UUID") == global_invoice.uuid
    assert root.find(f"{NS}Receptor").get("Rfc") == "XAXX010101000"
    assert root.find(f"{NS}InformacionGlobal").get("Meses") == "11"


def test_a_refund_bigger_than_its_receipt_is_held_even_if_the_global_is_bigger():
    with time_machine.travel(SALE_AT, tick=False):
        org = make_tijuana_org(as_of=SALE_AT)
        refunded = sell(org, "T-1", "116.00", SALE_AT)
        sell(org, "T-2", "2320.00", SALE_AT)
    with time_machine.travel(AFTER_CLOSE, tick=False):
        [global_id] = issue_due_global_invoices(as_of=AFTER_CLOSE)
        process_invoice(global_id, as_of=AFTER_CLOSE)
    with time_machine.travel(REFUND_AT, tick=False):
        refund, _ = record_refund(refunded.connection, refunded, NormalizedRefund(
            provider="external", refund_id="dev-1", livemode=False, currency="MXN", amount=Decimal("500.00"),
            refunded_at=REFUND_AT, payment_key=refunded.key), as_of=REFUND_AT)
        refund = credit_refund(refund.pk, as_of=REFUND_AT)

    assert refund.status == Refund.HELD and refund.credit_note_id is None
