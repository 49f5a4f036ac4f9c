"""A payment against a PPD invoice becomes a stamped, delivered REP through the normal pipeline."""

from __future__ import annotations

import pytest
from django.core import mail
from lxml import etree

from tests.factories import become_persona_fisica, make_invoice, make_product
from tests.integration.receivables.conftest import PAGO20, YESTERDAY, D, dr_amounts, local, rep_xml
from tests.sat_official import assert_valid_cfdi, assert_valid_timbre
from timbra.domain.status import InvoiceStatus
from timbra.receivables.selectors import open_balance, payment_status
from timbra.sandbox.service import sandbox_certificate_pem

pytestmark = pytest.mark.django_db

CFDI = "{http://www.sat.gob.mx/cfd/4}"


def test_a_ppd_invoice_paid_in_three_parcialidades_gets_three_valid_stamped_reps(stamped, pay):
    # given a stamped PPD invoice of 1,158.84 (999.00 + IVA 16 %)
    invoice = stamped()
    assert (invoice.total, payment_status(invoice)) == (D("1158.84"), "pendiente")
    statuses, seen = [], []
    # when it is paid in three parts
    for amount in ("400.00", "400.00", "358.84"):
        payment = pay(amount, [(invoice, D(amount))], reference=f"SPEI-{amount}")
        rep = payment.rep_invoice
        rep.refresh_from_db()
        # then each REP went through seal → stamp → PDF → email
        assert rep.status == InvoiceStatus.DELIVERED, (rep.hold_code, rep.hold_message)
        xml = rep_xml(payment)
        root = assert_valid_cfdi(xml)  # SAT's XSDs, Pagos 2.0 included, and the Sello
        assert assert_valid_timbre(xml, sandbox_certificate_pem()) == rep.uuid
        assert (root.get("TipoDeComprobante"), root.get("Serie"), root.get("Folio")) == ("P", "P", rep.folio)
        assert root.find(f"{CFDI}Receptor").get("UsoCFDI") == "CP01"
        pago = root.find(f".//{PAGO20}Pago")
        assert (pago.get("FechaPago"), pago.get("FormaDePagoP"), pago.get("Monto"), pago.get("NumOperacion")) == (
            local(YESTERDAY), "03", amount, f"SPEI-{amount}"
        )
        (dr,) = root.iterfind(f".//{PAGO20}DoctoRelacionado")
        assert (dr.get("IdDocumento"), dr.get("Serie"), dr.get("Folio")) == (invoice.uuid, "A", invoice.folio)
        assert dr.get("ObjetoImpDR") == "02"
        seen += dr_amounts(xml)
        statuses.append(payment_status(invoice))
    # and the parcialidades run 1..3 down to a zero balance, never below
    assert seen == [
        ("1", "1158.84", "400.00", "758.84"),
        ("2", "758.84", "400.00", "358.84"),
        ("3", "358.84", "358.84", "0.00"),
    ]
    assert statuses == ["parcial", "parcial", "pagada"]
    assert open_balance(invoice) == 0
    # and the folios of serie P were taken in order, one REP per payment
    reps = [m for m in mail.outbox if "P-" in m.subject]
    assert [m.subject.split()[3] for m in reps] == ["P-1", "P-2", "P-3"]
    assert all(m.subject.startswith("Comprobante de pago P-") for m in reps)
    assert "por tu pago de $400.00 MXN" in reps[0].body, reps[0].body
    assert all(sorted(a[0][-3:] for a in m.attachments) == ["pdf", "xml"] for m in reps)


def test_the_rep_restates_the_original_cfdis_taxes_proportionally(stamped, pay):
    # given a stamped PPD invoice with IVA 16 % and a first payment of half of it
    invoice = stamped()
    payment = pay("579.42", [(invoice, D("579.42"))])
    root = etree.fromstring(rep_xml(payment))
    # then TrasladoDR carries the original's base scaled by ImpPagado / Total
    traslado = root.find(f".//{PAGO20}TrasladoDR")
    assert dict(traslado.attrib) == {
        "BaseDR": "499.500000", "ImpuestoDR": "002", "TipoFactorDR": "Tasa",
        "TasaOCuotaDR": "0.160000", "ImporteDR": "79.920000",
    }
    totales = root.find(f".//{PAGO20}Totales")
    assert dict(totales.attrib) == {
        "TotalTrasladosBaseIVA16": "499.50", "TotalTrasladosImpuestoIVA16": "79.92", "MontoTotalPagos": "579.42",
    }


def test_retentions_of_the_original_invoice_are_restated_in_the_rep(org, customer, pay,
                                                                   django_capture_on_commit_callbacks):
    # given a PPD invoice for professional fees from a persona física: IVA 16 %, IVA withheld 2/3 and
    # ISR withheld 10 %
    become_persona_fisica(org)
    product = make_product(org, unit_price=D("10000.00"), taxes=["IVA16", "RET_IVA_2_3", "RET_ISR_10"])
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product, metodo_pago="PPD")
    invoice.refresh_from_db()
    # when it is paid in full
    payment = pay(str(invoice.total), [(invoice, invoice.total)])
    # then the REP is valid and carries the withholdings per document and per payment
    root = assert_valid_cfdi(rep_xml(payment))
    assert [r.get("ImpuestoDR") for r in root.iter(f"{PAGO20}RetencionDR")] == ["002", "001"]
    assert {r.get("ImpuestoP"): r.get("ImporteP") for r in root.iter(f"{PAGO20}RetencionP")} == {
        "002": "1066.670000", "001": "1000.000000",
    }
    totales = root.find(f".//{PAGO20}Totales").attrib
    assert (totales["TotalRetencionesIVA"], totales["TotalRetencionesISR"]) == ("1066.67", "1000.00")
    assert dr_amounts(rep_xml(payment)) == [("1", str(invoice.total), str(invoice.total), "0.00")]
