"""Live invoices through the real pipeline with TIMBRA_PAC=finkok, against the fake Finkok (issue 11 §2).

The adapter, the settings and the stamping service are the production ones; only Finkok's host is
the fake on 127.0.0.1 (TIMBRA_PAC_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings

from tests.factories import make_customer, make_invoice, make_product
from tests.fakes import FakeFinkok, RunningFake, serve
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import InvoiceDocument
from timbra.invoicing.process import process_invoice

pytestmark = pytest.mark.django_db

READ_TIMEOUT = 1.5


@pytest.fixture
def finkok(settings, tmp_path) -> Iterator[RunningFake]:  # type: ignore[no-untyped-def]
    with serve(FakeFinkok(tmp_path)) as running:
        settings.TIMBRA_PAC = "finkok"
        settings.TIMBRA_PAC_URL = running.base_url
        settings.TIMBRA_PAC_ENV = "test"
        settings.TIMBRA_PAC_CREDENTIALS = {"username": "timbra@example.com", "password": "secreto"}
        settings.TIMBRA_PAC_READ_TIMEOUT = READ_TIMEOUT
        yield running


@pytest.fixture
def live_invoice(org):  # type: ignore[no-untyped-def]
    customer = make_customer(org, livemode=True)
    return make_invoice(org, customer, product=make_product(org, livemode=True), livemode=True)


def _stamped_uuids(finkok: RunningFake) -> set[str]:
    return set(finkok.fake.core.stamps)  # type: ignore[attr-defined]


def test_a_live_invoice_is_stamped_by_the_configured_finkok(finkok: RunningFake, live_invoice) -> None:  # type: ignore[no-untyped-def]
    done = process_invoice(live_invoice.pk, as_of=live_invoice.created_at)
    assert done.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
    assert _stamped_uuids(finkok) == {done.uuid}
    assert done.pac == "finkok-pruebas"
    document = InvoiceDocument.objects.get(invoice=done)
    assert done.uuid.encode() in bytes(document.stamped_xml)
    # Finkok received the exact bytes Timbra sealed and stored
    assert len(finkok.control.calls("stamp")) == 1


def test_a_timeout_mid_stamp_then_a_retry_ends_with_exactly_one_uuid(finkok: RunningFake, live_invoice) -> None:  # type: ignore[no-untyped-def]
    # given Finkok stamps but answers after the read timeout
    finkok.control.slow("stamp", READ_TIMEOUT + 1.0)
    t0 = live_invoice.created_at
    # when
    first = process_invoice(live_invoice.pk, as_of=t0)
    # then the outcome is unknown: the invoice waits, sealed, to retry with the same bytes
    assert first.status == InvoiceStatus.SEALED and first.uuid is None
    assert first.events.filter(kind="stamp_retry", data__outcome_unknown=True).exists()
    # and the retry recovers Finkok's stamp instead of stamping again
    done = process_invoice(live_invoice.pk, as_of=first.next_attempt_at + timedelta(seconds=1))
    assert done.status in (InvoiceStatus.STAMPED, InvoiceStatus.DELIVERED)
    assert _stamped_uuids(finkok) == {done.uuid}
    assert finkok.fake.core.stamp_count == 1  # type: ignore[attr-defined]
    assert len(finkok.control.calls("recover")) == 1


def test_a_rejection_from_finkok_holds_the_live_invoice_in_spanish(finkok: RunningFake, live_invoice) -> None:  # type: ignore[no-untyped-def]
    finkok.control.reject("stamp", "702", "No se encontró el RFC del emisor")
    held = process_invoice(live_invoice.pk, as_of=live_invoice.created_at)
    assert held.status == InvoiceStatus.HELD
    assert held.hold_code == "702"
    assert "no está registrado en la cuenta del PAC" in held.hold_message


def test_without_a_real_pac_live_invoices_still_wait(live_invoice) -> None:  # type: ignore[no-untyped-def]
    assert settings.TIMBRA_PAC == "sandbox"
    held = process_invoice(live_invoice.pk, as_of=live_invoice.created_at)
    assert held.status == InvoiceStatus.HELD and held.hold_code == "pac_not_configured"


def test_test_mode_invoices_still_go_to_the_sandbox(finkok: RunningFake, org, customer, product) -> None:  # type: ignore[no-untyped-def]
    invoice = make_invoice(org, customer, product=product)
    done = process_invoice(invoice.pk, as_of=invoice.created_at)
    assert done.pac == "sandbox"
    assert finkok.control.calls("stamp") == []


def test_a_pac_configured_without_its_credentials_holds_live_invoices_with_the_reason(settings, live_invoice) -> None:  # type: ignore[no-untyped-def]
    settings.TIMBRA_PAC = "finkok"
    settings.TIMBRA_PAC_CREDENTIALS = {"username": "timbra@example.com"}
    held = process_invoice(live_invoice.pk, as_of=live_invoice.created_at)
    assert held.status == InvoiceStatus.HELD and held.hold_code == "pac_not_configured"
    assert "contraseña" in held.hold_message
