"""Email through a real SMTP conversation with a server this test starts on localhost (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from tests.factories import make_invoice
from timbra import jobs
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.process import process_invoice

pytestmark = pytest.mark.django_db


class Inbox:
    """Accepts messages, or answers with a fixed SMTP error code to the next `fail` messages."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.fail: list[str] = []

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd API)
        if self.fail:
            return self.fail.pop(0)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_the_customer_receives_pdf_and_xml_over_smtp(org, customer, product, smtp):
    invoice = make_invoice(org, customer, product=product)
    done = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert done.status == InvoiceStatus.DELIVERED
    [message] = smtp.messages
    assert message["To"] == "cliente@example.com"
    assert done.uuid in str(message["Subject"])
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    pdf = next(v for k, v in attachments.items() if k.endswith(".pdf"))
    xml = next(v for k, v in attachments.items() if k.endswith(".xml"))
    assert pdf.startswith(b"%PDF")
    assert done.uuid.encode() in (xml if isinstance(xml, bytes) else xml.encode())
    assert "te envía la factura" in message.get_body(("plain",)).get_content()


def test_a_temporary_smtp_failure_is_retried_and_a_permanent_one_is_flagged(org, customer, product, smtp,
                                                                            monkeypatch):
    later: list[float] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, delay=None, **kw: later.append(delay))
    smtp.fail = ["451 4.3.0 Intenta más tarde"]
    invoice = make_invoice(org, customer, product=product)
    first = process_invoice(invoice.pk, as_of=invoice.created_at)
    delivery = Delivery.objects.get(invoice=invoice)
    assert first.status == InvoiceStatus.STAMPED and delivery.status == Delivery.PENDING
    assert later and later[-1] > 0 and "451" in delivery.last_error
    # the retry goes through
    from timbra.delivery.services import deliver_invoice

    retried = deliver_invoice(invoice.pk, as_of=invoice.created_at + timedelta(hours=1))
    assert retried.status == InvoiceStatus.DELIVERED and len(smtp.messages) == 1

    smtp.fail = ["550 5.1.1 Buzón inexistente"]
    other = make_invoice(org, customer, product=product)
    held = process_invoice(other.pk, as_of=other.created_at)
    failed = Delivery.objects.get(invoice=other)
    assert failed.status == Delivery.FAILED and "550" in failed.last_error
    assert held.status == InvoiceStatus.STAMPED  # stamped stays valid; the failure is in needs-attention
    assert held.events.filter(kind="email_failed").exists()


def test_an_email_retry_waits_for_its_backoff(org, customer, product, smtp, monkeypatch):
    # given a temporary SMTP failure at t0 (issue 14 §4: nothing caught a retry ignoring next_attempt_at)
    from timbra.delivery.services import deliver_invoice

    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: None)
    smtp.fail = ["451 4.3.0 Intenta más tarde"]
    invoice = make_invoice(org, customer, product=product)
    t0 = invoice.created_at
    process_invoice(invoice.pk, as_of=t0)
    delivery = Delivery.objects.get(invoice=invoice)
    # then the first retry is due one minute later
    assert delivery.attempts == 1 and delivery.next_attempt_at == t0 + timedelta(seconds=60)
    # when a retry job runs before that, nothing is sent and nothing is counted
    early = deliver_invoice(invoice.pk, as_of=t0 + timedelta(seconds=59))
    assert early.status == InvoiceStatus.STAMPED and smtp.messages == []
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1
    # and once due, it goes out
    due = deliver_invoice(invoice.pk, as_of=t0 + timedelta(seconds=60))
    assert due.status == InvoiceStatus.DELIVERED and len(smtp.messages) == 1
