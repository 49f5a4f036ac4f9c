"""Receivables fixtures: stamped PPD invoices and a helper that records a payment and runs its REP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from tests.factories import NOW, make_invoice
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.receivables.models import ReceivedPayment
from timbra.receivables.services.record_payment import record_payment

D = Decimal
PAGO20 = "{http://www.sat.gob.mx/Pagos20}"
YESTERDAY = NOW - timedelta(days=1)


@pytest.fixture
def stamped(org, customer, product, django_capture_on_commit_callbacks) -> Callable[..., Invoice]:
    """Issue an invoice through the whole pipeline (PPD unless told otherwise) and return it stamped."""

    def issue(*, for_customer: Any = None, metodo_pago: str = "PPD", **overrides: Any) -> Invoice:
        with django_capture_on_commit_callbacks(execute=True):
            invoice = make_invoice(org, for_customer or customer, product=product, metodo_pago=metodo_pago,
                                   **overrides)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DELIVERED, (invoice.hold_code, invoice.hold_message)
        return invoice

    return issue


@pytest.fixture
def pay(org, customer, django_capture_on_commit_callbacks) -> Callable[..., ReceivedPayment]:
    """Record a payment (by default 03 transferencia, in MXN, yesterday) and run its REP's jobs."""

    def record(monto: str, applications: Any = None, **overrides: Any) -> ReceivedPayment:
        kwargs: dict[str, Any] = {"customer": customer, "fecha_pago": YESTERDAY, "forma_de_pago": "03",
                                  "monto": D(monto), "as_of": NOW, "actor": "pruebas"}
        kwargs.update(overrides)
        with django_capture_on_commit_callbacks(execute=True):
            payment, _ = record_payment(org, applications=applications, **kwargs)
        payment.refresh_from_db()
        return payment

    return record


def rep_xml(payment: ReceivedPayment) -> bytes:
    return bytes(InvoiceDocument.objects.get(invoice_id=payment.rep_invoice_id).stamped_xml)


def doctos(xml: bytes) -> list[etree._Element]:
    return etree.fromstring(xml).findall(f".//{PAGO20}DoctoRelacionado")


def dr_amounts(xml: bytes) -> list[tuple[str | None, ...]]:
    return [
        (d.get("NumParcialidad"), d.get("ImpSaldoAnt"), d.get("ImpPagado"), d.get("ImpSaldoInsoluto"))
        for d in doctos(xml)
    ]


def local(dt: datetime) -> str:
    return dt.astimezone(NOW.tzinfo).strftime("%Y-%m-%dT%H:%M:%S")
