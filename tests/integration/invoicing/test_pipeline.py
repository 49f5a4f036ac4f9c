"""The whole pipeline on the real components: services, sandbox PAC, PDF, email."""

from __future__ import annotations

import pytest
from django.core import mail
from lxml import etree

from tests.factories import make_invoice
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice, InvoiceDocument

pytestmark = pytest.mark.django_db

TFD = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


def test_an_invoice_goes_from_draft_to_delivered_with_pdf_and_xml_emailed(
    org, customer, product, django_capture_on_commit_callbacks
):
    # given / when: created through the service; its jobs run (queue in immediate mode)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    # then
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED
    doc = InvoiceDocument.objects.get(invoice=invoice)
    tfd = etree.fromstring(bytes(doc.stamped_xml)).find(f".//{TFD}")
    assert tfd is not None and tfd.get("UUID") == invoice.uuid
    assert bytes(doc.pdf).startswith(b"%PDF")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert invoice.uuid in message.subject
    assert message.to == ["cliente@example.com"]
    names = sorted(a[0] for a in message.attachments)
    assert names[0].endswith(".pdf") and names[1].endswith(".xml")
    assert Delivery.objects.get(invoice=invoice).status == Delivery.SENT
    kinds = list(invoice.events.values_list("kind", flat=True))
    assert kinds == ["created", "sealed", "stamped", "email_sent", "delivered"]
    assert str(invoice.total) == "1158.84"
    assert Invoice.objects.count() == 1
