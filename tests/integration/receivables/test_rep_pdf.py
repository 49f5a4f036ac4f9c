"""The representación impresa of a REP shows the payment, every related document and the Totales."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.factories import make_invoice, make_product
from tests.golden_text import assert_matches_golden
from tests.integration.receivables.conftest import YESTERDAY, D, local, rep_xml
from timbra.cfdi.pdf import PdfRenderError, render_pdf
from timbra.invoicing.documents import ensure_pdf

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with lines joined by single spaces, so wrapped values still match."""
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_rep_pdf_shows_the_payment_its_documents_their_taxes_and_the_totales(stamped, pay):
    # given two stamped PPD invoices of 1,158.84 (999.00 + IVA 16 %)
    first, second = stamped(), stamped()
    # when one transfer pays all of the first and part of the second
    payment = pay("1558.84", [(first, D("1158.84")), (second, D("400.00"))], reference="SPEI-778899")
    rep = payment.rep_invoice
    text = pdf_text(ensure_pdf(rep))
    # then the PDF carries the Pago's data
    for expected in [
        "CFDI DE PAGO", "COMPLEMENTO DE PAGO: DATOS DEL PAGO", local(YESTERDAY),
        "03 - Transferencia electrónica de fondos", "MXN - Peso Mexicano", "$1,558.84 MXN", "SPEI-778899",
        "Uso del CFDI CP01",
        # and each DoctoRelacionado: UUID, serie-folio, parcialidad, saldos, ObjetoImpDR and ImpuestosDR
        "DOCUMENTO RELACIONADO 1 DE 2", "DOCUMENTO RELACIONADO 2 DE 2", first.uuid, second.uuid,
        f"A-{first.folio}", f"A-{second.folio}", "Saldo anterior $1,158.84 MXN", "Importe pagado $400.00 MXN",
        "Saldo insoluto $758.84 MXN", "Saldo insoluto $0.00 MXN", "02 - Sí objeto de impuesto",
        "Traslado IVA (002) · Tasa 16% · Base 999.000000 · Importe 159.840000",
        # and the ImpuestosP and the Totales of the complement
        "Impuestos del pago (ImpuestosP) Traslado IVA (002) · Tasa 16% · Base 1,343.827586 · Importe 215.012414",
        "TOTALES DEL COMPLEMENTO DE PAGO", "Base de traslados de IVA 16% $1,343.83 MXN",
        "IVA trasladado 16% $215.01 MXN", "Monto total de los pagos $1,558.84 MXN",
    ]:  # fmt: skip
        assert expected in text, expected
    # and the receptor's invoice-level "Pago" concepto is still there (Anexo 20)
    assert "84111506" in text and rep.uuid in text


def test_a_foreign_currency_payment_prints_its_tipo_de_cambio_and_equivalencia(stamped, pay):
    # given an MXN invoice paid in dollars at 17.50 MXN per dollar
    invoice = stamped()
    payment = pay("66.22", [(invoice, D("1158.84"))], moneda="USD", tipo_cambio=D("17.5"))
    text = pdf_text(ensure_pdf(payment.rep_invoice))
    # then MonedaP, TipoCambioP, Monto and the document's EquivalenciaDR are printed
    for expected in ["Moneda del pago USD", "Tipo de cambio 17.5", "$66.22 USD", "Moneda del documento MXN",
                     "Núm. de parcialidad 1", "Saldo insoluto $0.00 MXN"]:
        assert expected in text, expected
    assert "Equivalencia 17.5" in text or "Equivalencia 17.5000000000" in text, text


def test_a_usd_rep_names_the_currency_of_every_amount_and_lists_its_taxes_under_one_heading(
    org, customer, pay, django_capture_on_commit_callbacks
):
    # given a USD invoice with IVA and a retention, paid in USD (issue 10's cosmetic defects: "$" with
    # no currency, and "Impuestos del pago" repeated once per tax)
    product = make_product(org, unit_price=D("500.00"), taxes=["IVA16", "RET_IVA_4"])
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product, metodo_pago="PPD", moneda="USD",
                               tipo_cambio=D("17.5"))
    invoice.refresh_from_db()
    assert invoice.uuid, invoice.hold_message
    payment = pay(str(invoice.total), [(invoice, invoice.total)], moneda="USD", tipo_cambio=D("17.5"))
    text = pdf_text(ensure_pdf(payment.rep_invoice))
    # then every amount says its currency, the Totales say MXN, and each heading appears once
    assert "Saldo anterior $560.00 USD" in text and "$560.00 USD" in text
    assert "Monto total de los pagos $9,800.00 MXN" in text
    assert text.count("Impuestos del pago (ImpuestosP)") == 1
    assert text.count("Impuestos del documento (ImpuestosDR)") == 1
    assert_matches_golden(text, "pdf_rep_usd.txt")


def test_a_rep_missing_a_required_pagos_attribute_is_refused_in_spanish(stamped, pay):
    invoice = stamped()
    payment = pay("100.00", [(invoice, D("100.00"))])
    xml = rep_xml(payment).replace(b'IdDocumento="', b'IdDoc="')
    with pytest.raises(PdfRenderError, match="pago20:DoctoRelacionado@IdDocumento"):
        render_pdf(xml)
