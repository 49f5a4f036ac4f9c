"""Autofactura through real HTTP: the customer types the receipt code and their fiscal data at
/portal/autofactura/<slug>/ and gets the CFDI at once; after the global invoice took the
receipt, the org's policy decides. Rate-limited, and it reveals nothing about other receipts."""

from __future__ import annotations

from datetime import datetime

import pytest
import time_machine
from django.test import Client

from tests.factories import make_org
from tests.integration.globalinvoice.helpers import TIJUANA, make_tijuana_org, sell
from tests.sat_official import assert_valid_cfdi
from timbra.domain.status import InvoiceStatus
from timbra.globalinvoice.models import GlobalInvoiceSettings, Receipt
from timbra.globalinvoice.selectors import display_code
from timbra.globalinvoice.services.configure import configure_global_invoice
from timbra.globalinvoice.services.issue import issue_due_global_invoices
from timbra.invoicing.models import Invoice
from timbra.invoicing.process import process_invoice
from timbra.payments.models import Payment

pytestmark = pytest.mark.django_db
SALE_AT = datetime(2026, 11, 30, 12, 0, tzinfo=TIJUANA)
CLAIM_AT = datetime(2026, 11, 30, 18, 0, tzinfo=TIJUANA)
AFTER_CLOSE = datetime(2026, 12, 1, 0, 30, tzinfo=TIJUANA)
LATE_CLAIM_AT = datetime(2026, 12, 2, 10, 0, tzinfo=TIJUANA)
UNIVERSIDAD = {"rfc": "ure180429tm6", "nombre": "Universidad Robotica Española", "codigo_postal": "86991",
               "regimen_fiscal": "601", "uso_cfdi": "G03", "email": "compras@universidad.example"}


@pytest.fixture
def sale():
    with time_machine.travel(SALE_AT, tick=False):
        org = make_tijuana_org(as_of=SALE_AT)
        payment = sell(org, "T-1", "116.00", SALE_AT)
    receipt = Receipt.objects.get(payment=payment)
    slug = GlobalInvoiceSettings.objects.get(org=org).portal_slug
    return org, receipt, f"/portal/autofactura/{slug}/"


def post(url: str, as_of: datetime, *, ip: str = "10.0.0.1", **data: str):
    with time_machine.travel(as_of, tick=False):
        return Client(REMOTE_ADDR=ip).post(url, data)


def test_the_page_asks_for_the_code_and_the_fiscal_data(sale):
    _, _, url = sale
    response = Client().get(url)
    assert response.status_code == 200
    assert "Código del ticket" in response.content.decode() and response["Cache-Control"] == "no-store"


def test_a_customer_with_the_code_gets_their_stamped_cfdi_at_once(sale):
    org, receipt, url = sale

    response = post(url, CLAIM_AT, code=display_code(receipt.code).lower(), **UNIVERSIDAD)

    assert response.status_code == 200, response.content.decode()
    payment = Payment.objects.get(pk=receipt.payment_id)
    invoice = payment.invoice
    assert payment.status == Payment.INVOICED and invoice.uuid and invoice.uuid in response.content.decode()
    assert invoice.customer.rfc == "URE180429TM6" and invoice.customer.nombre == "UNIVERSIDAD ROBOTICA ESPAÑOLA"
    assert Receipt.objects.get(pk=receipt.pk).status == Receipt.CLAIMED
    xml = Client().get(response.context["request"].build_absolute_uri(
        f"{url}cfdi/{response.context['token']}.xml"))
    assert xml.status_code == 200 and assert_valid_cfdi(xml.content).get("Total") == "116.00"
    pdf = Client().get(f"{url}cfdi/{response.context['token']}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # and the global of the period no longer includes it
    with time_machine.travel(AFTER_CLOSE, tick=False):
        assert issue_due_global_invoices(as_of=AFTER_CLOSE) == []


def test_the_same_customer_asking_again_gets_the_same_cfdi(sale):
    _, receipt, url = sale
    first = post(url, CLAIM_AT, code=receipt.code, **UNIVERSIDAD)
    again = post(url, CLAIM_AT, code=receipt.code, **UNIVERSIDAD)
    assert again.status_code == 200 and again.context["invoice"].pk == first.context["invoice"].pk
    assert Invoice.objects.count() == 1


def test_bad_fiscal_data_gets_a_clear_message_and_no_invoice(sale):
    _, receipt, url = sale
    response = post(url, CLAIM_AT, code=receipt.code, **{**UNIVERSIDAD, "regimen_fiscal": "605"})
    assert response.status_code == 422 and Invoice.objects.count() == 0
    assert Receipt.objects.get(pk=receipt.pk).status == Receipt.OPEN


def test_an_unknown_code_and_another_orgs_code_get_the_same_answer(sale):
    _, receipt, url = sale
    with time_machine.travel(SALE_AT, tick=False):
        other_org = make_org(as_of=SALE_AT)
        other = Receipt.objects.get(payment=sell(other_org, "X-1", "116.00", SALE_AT))

    unknown = post(url, CLAIM_AT, code="ZZZZZZZZZZZZZ", **UNIVERSIDAD)
    foreign = post(url, CLAIM_AT, code=other.code, **UNIVERSIDAD)

    assert unknown.status_code == foreign.status_code == 404
    assert unknown.context["error"] == foreign.context["error"]
    assert Invoice.objects.count() == 0 and Receipt.objects.get(pk=other.pk).status == Receipt.OPEN
    assert Client().get("/portal/autofactura/no-existe/").status_code == 404


def test_guessing_codes_is_cut_off_by_the_rate_limit(sale):
    _, receipt, url = sale
    answers = [post(url, CLAIM_AT, code=f"GUESS{n:08d}", **UNIVERSIDAD).status_code for n in range(21)]
    assert answers[:20] == [404] * 20 and answers[20] == 429
    # even the right code is refused from that address for now; another address still works
    assert post(url, CLAIM_AT, code=receipt.code, **UNIVERSIDAD).status_code == 429
    assert post(url, CLAIM_AT, ip="10.0.0.2", code=receipt.code, **UNIVERSIDAD).status_code == 200


def test_a_tampered_or_foreign_download_link_is_not_found(sale):
    _, receipt, url = sale
    token = post(url, CLAIM_AT, code=receipt.code, **UNIVERSIDAD).context["token"]
    assert Client().get(f"{url}cfdi/{token}x.xml").status_code == 404
    assert Client().get(f"/portal/autofactura/otro-negocio/cfdi/{token}.xml").status_code == 404


def _in_stamped_global(org):
    with time_machine.travel(AFTER_CLOSE, tick=False):
        [global_id] = issue_due_global_invoices(as_of=AFTER_CLOSE)
        return process_invoice(global_id, as_of=AFTER_CLOSE)


def test_after_the_global_the_default_policy_refuses_with_a_clear_message(sale):
    org, receipt, url = sale
    _in_stamped_global(org)

    response = post(url, LATE_CLAIM_AT, code=receipt.code, **UNIVERSIDAD)

    assert response.status_code == 422
    assert "factura global" in response.context["error"] and "terminó" in response.context["error"]
    assert Invoice.objects.count() == 1


def test_after_the_global_the_egreso_policy_credits_the_global_then_invoices_the_customer(sale):
    org, receipt, url = sale
    configure_global_invoice(org, periodicity="monthly", claim_days=7, after_global_policy="egreso", as_of=SALE_AT)
    global_invoice = _in_stamped_global(org)

    response = post(url, LATE_CLAIM_AT, code=receipt.code, **UNIVERSIDAD)

    assert response.status_code == 200, response.context.get("error")
    receipt.refresh_from_db()
    assert receipt.status == Receipt.CLAIMED and receipt.global_egreso is not None
    with time_machine.travel(LATE_CLAIM_AT, tick=False):
        egreso = process_invoice(receipt.global_egreso_id, as_of=LATE_CLAIM_AT)
    assert egreso.status == InvoiceStatus.DELIVERED, egreso.hold_message
    root = assert_valid_cfdi(bytes(egreso.document.stamped_xml))
    assert root.get("TipoDeComprobante") == "E" and root.get("Total") == "116.00"
    assert root.find("{http://www.sat.gob.mx/cfd/4}CfdiRelacionados/{http://www.sat.gob.mx/cfd/4}CfdiRelacionado"
                     ).get("UUID") == global_invoice.uuid
    nominative = Payment.objects.get(pk=receipt.payment_id).invoice
    assert nominative.uuid and nominative.customer.rfc == "URE180429TM6"
    # asking again changes nothing
    post(url, LATE_CLAIM_AT, code=receipt.code, **UNIVERSIDAD)
    assert Invoice.objects.count() == 3


def test_after_the_global_the_cancel_policy_cancels_it_with_motive_04_and_reissues_it_without_the_receipt(sale):
    # given two sales in a stamped global, and the policy «cancelar con motivo 04 y reexpedir»
    org, receipt, url = sale
    with time_machine.travel(SALE_AT, tick=False):
        other = Receipt.objects.get(payment=sell(org, "T-2", "232.00", SALE_AT, forma_pago="03"))
    configure_global_invoice(org, periodicity="monthly", claim_days=7, after_global_policy="cancel_04",
                             as_of=SALE_AT)
    original = _in_stamped_global(org)
    assert original.uuid
    # when the first sale's customer claims it
    response = post(url, LATE_CLAIM_AT, code=receipt.code, **UNIVERSIDAD)
    # then the global is being cancelled at the SAT with motive 04 (issue 11's cancellation)
    assert response.status_code == 200, response.context.get("error")
    original.refresh_from_db()
    assert (original.status, original.cancellation_motive) == (InvoiceStatus.CANCELLATION_PENDING, "04")
    # and it is re-issued without the claimed sale, related to the original with TipoRelacion 04
    receipt.refresh_from_db()
    other.refresh_from_db()
    assert receipt.status == Receipt.CLAIMED and other.status == Receipt.IN_GLOBAL
    reissue = other.global_invoice
    assert reissue.pk != original.pk
    with time_machine.travel(LATE_CLAIM_AT, tick=False):
        reissue = process_invoice(reissue.pk, as_of=LATE_CLAIM_AT)
    assert reissue.status == InvoiceStatus.DELIVERED, reissue.hold_message
    root = assert_valid_cfdi(bytes(reissue.document.stamped_xml))
    cfdi = "{http://www.sat.gob.mx/cfd/4}"
    assert root.get("Total") == "232.00" and root.get("FormaPago") == "03"
    assert [c.get("NoIdentificacion") for c in root.iter(f"{cfdi}Concepto")] == [other.number]
    relacionados = root.find(f"{cfdi}CfdiRelacionados")
    assert relacionados.get("TipoRelacion") == "04"
    assert relacionados.find(f"{cfdi}CfdiRelacionado").get("UUID") == original.uuid
    assert dict(root.find(f"{cfdi}InformacionGlobal").attrib) == {"Periodicidad": "04", "Meses": "11", "Año": "2026"}
    # and the customer got their own CFDI
    nominative = Payment.objects.get(pk=receipt.payment_id).invoice
    assert nominative.uuid and nominative.customer.rfc == "URE180429TM6"
    # asking again changes nothing (every step is idempotent)
    post(url, LATE_CLAIM_AT, code=receipt.code, **UNIVERSIDAD)
    assert Invoice.objects.count() == 3


def test_a_point_of_sale_reads_the_receipt_code_from_the_api(sale):
    from tests.integration.api.conftest import ApiClient, make_token

    org, receipt, url = sale
    client = ApiClient(make_token(org))

    body = client.request("GET", f"/gateway-payments/{receipt.payment_id}/receipt").json()

    assert body["code"].replace("-", "") == receipt.code and body["autofactura_url"].endswith(url)
    assert body["status"] == "open"
    other = ApiClient(make_token(make_org()))
    assert other.request("GET", f"/gateway-payments/{receipt.payment_id}/receipt").status_code == 404
