"""The factura global: at the close of the period, in the org's time zone, one CFDI to
PUBLICO EN GENERAL for every unclaimed receipt, valid by SAT's own XSD and XSLT."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from tests.sat_official import assert_valid_cfdi, assert_valid_timbre
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.models import Receipt
from timbra.globalinvoice.services.issue import issue_due_global_invoices
from timbra.invoicing.models import Invoice, InvoiceDocument
from timbra.invoicing.process import process_invoice
from timbra.payments.models import Payment
from timbra.payments.rules.services import create_rule
from timbra.sandbox.service import sandbox_certificate_pem

pytestmark = pytest.mark.django_db

NS = "{http://www.sat.gob.mx/cfd/4}"
LAST_NIGHT_OF_NOVEMBER = datetime(2026, 11, 30, 23, 30, tzinfo=TIJUANA)  # already 1 Dec in UTC and CDMX
FIRST_HOUR_OF_DECEMBER = datetime(2026, 12, 1, 0, 30, tzinfo=TIJUANA)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def issue(as_of: datetime) -> list[Invoice]:
    with at(as_of):
        return list(Invoice.objects.filter(pk__in=issue_due_global_invoices(as_of=as_of)))


def test_a_sale_without_fiscal_data_waits_with_a_receipt_in_its_local_period():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        payment = sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)

    receipt = Receipt.objects.get(payment=payment)
    assert payment.status == Payment.AWAITING_FISCAL_DATA and payment.invoice is None
    assert receipt.status == Receipt.OPEN and receipt.period_key == "monthly:2026-11-01"
    assert receipt.closes_at == datetime(2026, 12, 1, 0, 0, tzinfo=TIJUANA)
    assert len(receipt.code) == 13


def test_at_the_close_of_the_month_in_tijuana_the_global_takes_only_that_months_receipts():
    # given: a November sale at 23:30 Tijuana (already December in Mexico City) and a December one
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER, forma_pago="01")
        sell(org, "T-2", "348.00", LAST_NIGHT_OF_NOVEMBER, forma_pago="04")
    with at(FIRST_HOUR_OF_DECEMBER):
        december = sell(org, "T-3", "58.00", FIRST_HOUR_OF_DECEMBER)
    # when: the job runs before the close, then just after it
    assert issue(datetime(2026, 11, 30, 23, 59, tzinfo=TIJUANA)) == []
    [global_invoice] = issue(datetime(2026, 12, 1, 0, 40, tzinfo=TIJUANA))
    with at(datetime(2026, 12, 1, 0, 41, tzinfo=TIJUANA)):
        global_invoice = process_invoice(global_invoice.pk, as_of=datetime(2026, 12, 1, 0, 41, tzinfo=TIJUANA))
    # then: one global for November, stamped, valid by SAT's files
    assert global_invoice.status == InvoiceStatus.DELIVERED, (global_invoice.hold_code, global_invoice.hold_message)
    xml = bytes(InvoiceDocument.objects.get(invoice=global_invoice).stamped_xml)
    root = assert_valid_cfdi(xml)
    assert assert_valid_timbre(xml, sandbox_certificate_pem()) == global_invoice.uuid
    info = root.find(f"{NS}InformacionGlobal")
    assert (info.get("Periodicidad"), info.get("Meses"), info.get("Año")) == ("04", "11", "2026")
    receptor = root.find(f"{NS}Receptor")
    assert dict(receptor.attrib) == {"Rfc": "XAXX010101000", "Nombre": "PUBLICO EN GENERAL", "UsoCFDI": "S01",
                                     "DomicilioFiscalReceptor": "22000", "RegimenFiscalReceptor": "616"}
    assert (root.get("MetodoPago"), root.get("FormaPago"), root.get("LugarExpedicion")) == ("PUE", "04", "22000")
    conceptos = root.findall(f"{NS}Conceptos/{NS}Concepto")
    assert [c.get("NoIdentificacion") for c in conceptos] == ["test:T-1", "test:T-2"]
    assert {(c.get("ClaveProdServ"), c.get("ClaveUnidad"), c.get("Descripcion")) for c in conceptos} == {
        ("01010101", "ACT", "Venta")}
    assert all(c.find(f"{NS}Impuestos/{NS}Traslados/{NS}Traslado") is not None for c in conceptos)
    assert Decimal(root.get("Total")) == Decimal("464.00")
    assert set(Receipt.objects.filter(global_invoice=global_invoice).values_list("status", flat=True)) == {
        Receipt.IN_GLOBAL}
    assert Receipt.objects.get(payment=december).status == Receipt.OPEN


def test_running_the_job_again_issues_nothing_more():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)
    after_close = datetime(2026, 12, 1, 1, 0, tzinfo=TIJUANA)

    first, second = issue(after_close), issue(after_close)

    assert len(first) == 1 and second == []
    assert Invoice.objects.filter(source="global").count() == 1


def _give_fiscal_data(payment: Payment, as_of: datetime) -> Payment:
    from tests.factories import make_customer
    from timbra.payments.services.invoice_payment import invoice_payment

    with at(as_of):
        Payment.objects.filter(pk=payment.pk).update(customer=make_customer(payment.org, as_of=as_of))
        return invoice_payment(payment.pk, as_of=as_of)


def test_a_receipt_invoiced_to_its_customer_before_the_close_stays_out_of_the_global():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        claimed = sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-2", "232.00", LAST_NIGHT_OF_NOVEMBER)

    claimed = _give_fiscal_data(claimed, LAST_NIGHT_OF_NOVEMBER)
    [global_invoice] = issue(datetime(2026, 12, 1, 0, 40, tzinfo=TIJUANA))

    assert claimed.status == Payment.INVOICED and claimed.invoice.customer.rfc == "URE180429TM6"
    assert Receipt.objects.get(payment=claimed).status == Receipt.CLAIMED
    assert list(global_invoice.lines.values_list("no_identificacion", flat=True)) == ["test:T-2"]


def test_fiscal_data_arriving_after_the_global_never_makes_a_second_cfdi():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        late = sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)
    [global_invoice] = issue(datetime(2026, 12, 1, 0, 40, tzinfo=TIJUANA))

    late = _give_fiscal_data(late, datetime(2026, 12, 2, 9, 0, tzinfo=TIJUANA))

    assert late.status == Payment.AWAITING_FISCAL_DATA and late.invoice is None
    assert "factura global" in late.status_reason
    assert Invoice.objects.count() == 1


def test_a_sale_with_retentions_is_held_out_of_the_global_with_its_reason():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        payment = sell(org, "T-1", "1000.00", LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-2", "116.00", LAST_NIGHT_OF_NOVEMBER)
        # a rule (saved after the sales) says sales over 500 are fees with ISR and IVA withheld
        create_rule(org, {"name": "Honorarios", "amount_min": "500", "taxes": ["IVA16", "RET_IVA_2_3", "RET_ISR_10"]},
                    livemode=False, as_of=LAST_NIGHT_OF_NOVEMBER)

    [global_invoice] = issue(datetime(2026, 12, 1, 0, 40, tzinfo=TIJUANA))

    receipt = Receipt.objects.get(payment=payment)
    assert receipt.status == Receipt.HELD and "retenciones" in receipt.status_reason
    assert list(global_invoice.lines.values_list("no_identificacion", flat=True)) == ["test:T-2"]


def test_each_currency_gets_its_own_global_with_its_exchange_rate():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-USD", "11.60", LAST_NIGHT_OF_NOVEMBER, currency="USD", exchange_rate=Decimal("18.250000"))

    issued = issue(datetime(2026, 12, 1, 0, 40, tzinfo=TIJUANA))

    assert sorted((g.moneda, g.tipo_cambio, g.total) for g in issued) == [
        ("MXN", None, Decimal("116.00")), ("USD", Decimal("18.250000"), Decimal("11.60"))]
    assert {g.source_id for g in issued} == {"test:MXN:monthly:2026-11-01:1", "test:USD:monthly:2026-11-01:1"}


def test_a_daily_global_closes_at_local_midnight_on_the_day_tijuana_changes_to_summer_time():
    from timbra.globalinvoice.services.configure import configure_global_invoice

    sunday_morning = datetime(2026, 3, 8, 9, 0, tzinfo=TIJUANA)  # DST began at 02:00 that day
    with at(sunday_morning):
        org = make_tijuana_org(as_of=sunday_morning)
        configure_global_invoice(org, periodicity="daily", claim_days=0, after_global_policy="refuse",
                                 as_of=sunday_morning)
        payment = sell(org, "T-1", "116.00", sunday_morning)
    receipt = Receipt.objects.get(payment=payment)
    assert receipt.closes_at == datetime(2026, 3, 9, 0, 0, tzinfo=TIJUANA)
    assert receipt.claim_deadline == sunday_morning  # 0 days: straight to the global

    assert issue(datetime(2026, 3, 8, 23, 59, tzinfo=TIJUANA)) == []
    [daily] = issue(datetime(2026, 3, 9, 0, 5, tzinfo=TIJUANA))
    assert daily.informacion_global == {"periodicidad": "01", "meses": "03", "año": 2026}


def test_a_global_issued_after_the_sats_24_hours_says_so_on_its_timeline():
    with at(LAST_NIGHT_OF_NOVEMBER):
        org = make_tijuana_org(as_of=LAST_NIGHT_OF_NOVEMBER)
        sell(org, "T-1", "116.00", LAST_NIGHT_OF_NOVEMBER)

    [late] = issue(datetime(2026, 12, 2, 6, 0, tzinfo=TIJUANA))  # the workers were down for a day

    assert late.events.filter(kind="global_late").exists()
