"""The printed Egreso, golden-filed (issue 10: its unit column printed "Actividad" twice)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests.factories import make_invoice
from tests.golden_text import assert_matches_golden
from timbra.domain import credit_notes
from timbra.invoicing.create import create_invoice
from timbra.invoicing.documents import ensure_pdf
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.invoicing.process import process_invoice

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_an_egreso_prints_its_unit_once_and_matches_the_golden_file(org, customer, django_capture_on_commit_callbacks):
    # given a stamped Ingreso and a credit note against it (Guía de llenado: 84111506, ACT "Actividad")
    with django_capture_on_commit_callbacks(execute=True):
        original = make_invoice(org, customer)
    original.refresh_from_db()
    request = InvoiceInput(
        customer_id=customer.pk, tipo_de_comprobante="E", forma_pago="03", uso_cfdi="G02",
        related=({"tipo_relacion": credit_notes.TIPO_RELACION, "uuids": [original.uuid]},),
        lines=(LineInput(descripcion="Devolución parcial", clave_prod_serv=credit_notes.CLAVE_PROD_SERV,
                         clave_unidad=credit_notes.CLAVE_UNIDAD, unidad=credit_notes.UNIDAD,
                         unit_price=Decimal("500.00"), taxes=("IVA16",)),),
    )
    egreso = create_invoice(org, request, livemode=False, as_of=original.created_at)
    egreso = process_invoice(egreso.pk, as_of=original.created_at)
    assert egreso.uuid, egreso.hold_message
    # when it is printed
    text = pdf_text(ensure_pdf(egreso))
    # then "Actividad" appears once in the unit column (the catalog's text already says it)
    assert "ACT - Actividad Devolución parcial" in text
    assert "Actividad Actividad" not in text
    assert_matches_golden(text, "pdf_egreso.txt")
