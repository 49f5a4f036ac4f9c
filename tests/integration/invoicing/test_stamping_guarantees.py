"""Never two UUIDs for one sale: retries, lost answers, crashes and rejections (reliability.md §2.1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from tests.factories import make_customer, make_invoice
from timbra.cfdi.pac import Pac, StampResult
from timbra.cfdi.pac_faults import Fault, FaultyPac
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs, stamp
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.process import process_invoice
from timbra.sandbox.models import SandboxStamp

pytestmark = pytest.mark.django_db


@dataclass
class RecordingPac:
    """Passes through to a real PAC and remembers every payload it was sent."""

    inner: Pac
    sent: list[bytes] = field(default_factory=list)
    recovered: list[bytes] = field(default_factory=list)
    name: str = "sandbox"
    is_sandbox: bool = True

    def stamp(self, signed_xml: bytes) -> StampResult:
        self.sent.append(signed_xml)
        return self.inner.stamp(signed_xml)

    def recover(self, signed_xml: bytes) -> StampResult | None:
        self.recovered.append(signed_xml)
        return self.inner.recover(signed_xml)


def _sealed_xml(invoice: Invoice) -> bytes:
    return bytes(InvoiceDocument.objects.get(invoice=invoice).sealed_xml)


def test_processing_an_invoice_twice_keeps_one_uuid(org, customer, product):
    invoice = make_invoice(org, customer, product=product)
    first = process_invoice(invoice.pk, as_of=invoice.created_at)
    again = process_invoice(invoice.pk, as_of=invoice.created_at + timedelta(minutes=1))
    assert first.uuid and again.uuid == first.uuid
    assert SandboxStamp.objects.count() == 1


def test_a_pac_timeout_retries_the_same_bytes_with_backoff(org, customer, product):
    # given a PAC whose first two answers are lost (the first one after it stamped)
    recorder = RecordingPac(pacs.sandbox_pac())
    faulty = FaultyPac(recorder, [Fault.LOST_AFTER_STAMP, Fault.UNAVAILABLE])
    invoice = make_invoice(org, customer, product=product)
    t0 = invoice.created_at
    with pacs.override(faulty):
        # when
        first = process_invoice(invoice.pk, as_of=t0)
        # then it waits, sealed, with a retry time and the reason on its timeline
        assert first.status == InvoiceStatus.SEALED
        assert first.next_attempt_at > t0
        assert first.events.filter(kind="stamp_retry").exists()
        # a run before the retry time does not call the PAC again
        process_invoice(invoice.pk, as_of=t0)
        assert faulty.stamp_calls == 1
        # later attempts recover the stamp made during the lost call
        second = process_invoice(invoice.pk, as_of=first.next_attempt_at + timedelta(seconds=1))
        third = second
        if second.status == InvoiceStatus.SEALED:
            third = process_invoice(invoice.pk, as_of=second.next_attempt_at + timedelta(seconds=1))
    assert third.status == InvoiceStatus.DELIVERED
    assert SandboxStamp.objects.count() == 1
    assert SandboxStamp.objects.get().uuid == third.uuid
    # every payload that reached the PAC is the exact sealed XML saved before the first call
    assert set(recorder.sent + recorder.recovered) == {_sealed_xml(invoice)}


def test_a_crash_after_the_pac_answered_recovers_the_same_uuid(org, customer, product, monkeypatch):
    # given a worker that dies after the PAC stamped but before its commit
    invoice = make_invoice(org, customer, product=product)

    class WorkerKilled(BaseException):
        pass

    def die(*args, **kwargs):
        raise WorkerKilled()

    with monkeypatch.context() as patch:
        patch.setattr(stamp, "record_stamp", die)
        with pytest.raises(WorkerKilled):
            process_invoice(invoice.pk, as_of=invoice.created_at)
    crashed = Invoice.objects.get(pk=invoice.pk)
    assert crashed.status == InvoiceStatus.SEALED and crashed.uuid is None
    ledger_uuid = SandboxStamp.objects.get().uuid
    # when the sweeper's retry runs
    recorder = RecordingPac(pacs.sandbox_pac())
    with pacs.override(recorder):
        healed = process_invoice(invoice.pk, as_of=invoice.created_at + timedelta(minutes=5))
    # then it asked the PAC to recover first and got the original UUID
    assert healed.status == InvoiceStatus.DELIVERED
    assert healed.uuid == ledger_uuid
    assert recorder.recovered == [_sealed_xml(invoice)] and recorder.sent == []
    assert SandboxStamp.objects.count() == 1


def test_a_pac_rejection_holds_the_invoice_with_its_reason(org, product):
    # given a receptor whose name does not match SAT's registry (locally it looks fine)
    customer = make_customer(org, rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA")
    invoice = make_invoice(org, customer, product=product)
    # when
    held = process_invoice(invoice.pk, as_of=invoice.created_at)
    # then
    assert held.status == InvoiceStatus.HELD
    assert held.hold_code == "CFDI40145"
    assert "nombre" in held.hold_message.lower()
    assert held.uuid is None
    assert SandboxStamp.objects.count() == 0


def test_bad_fiscal_data_is_held_before_reaching_the_pac(org, product):
    customer = make_customer(org)
    # the customer's régimen changed to one that cannot use G03 (data edited behind the service)
    type(customer).objects.filter(pk=customer.pk).update(regimen_fiscal="605")
    invoice = make_invoice(org, customer, product=product)
    recorder = RecordingPac(pacs.sandbox_pac())
    with pacs.override(recorder):
        held = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert held.status == InvoiceStatus.HELD
    assert held.hold_code.startswith("CFDI40")
    assert recorder.sent == []


def test_a_stale_fecha_is_resealed_only_when_the_pac_has_no_stamp(org, customer, product):
    # given an invoice sealed long ago that never reached the PAC
    invoice = make_invoice(org, customer, product=product)
    t0 = invoice.created_at
    faulty = FaultyPac(pacs.sandbox_pac(), [Fault.LOST_BEFORE_SEND])
    with pacs.override(faulty):
        sealed = process_invoice(invoice.pk, as_of=t0)
    assert sealed.status == InvoiceStatus.SEALED
    old_xml = _sealed_xml(invoice)
    # when it is retried four days later (outside the 72-hour window)
    import time_machine

    later = t0 + timedelta(days=4)
    with time_machine.travel(later, tick=False):
        first = process_invoice(invoice.pk, as_of=later)
        assert first.status == InvoiceStatus.DRAFT
        assert first.events.filter(kind="reseal").exists()
        final = process_invoice(invoice.pk, as_of=later)
    # then it got a new Fecha, a new seal and exactly one stamp
    assert final.status == InvoiceStatus.DELIVERED
    assert _sealed_xml(invoice) != old_xml
    assert SandboxStamp.objects.count() == 1
