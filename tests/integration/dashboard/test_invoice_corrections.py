"""The invoice page's issue-11 actions, through real forms: cancel at the SAT with a motive, credit note,
SAT status, «corregir y sustituir» and editing a held invoice."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import make_invoice
from tests.integration.dashboard.conftest import hold
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(org, customer, product, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice.refresh_from_db()
    mail.outbox.clear()
    return invoice


def _post(client, callbacks, url, data):
    """Post the form, let its jobs run (they start when the request's transaction commits), then
    follow the redirect as a browser would."""
    with callbacks(execute=True):
        response = client.post(url, data)
    return client.get(response.url) if response.status_code == 302 else response


def test_the_page_of_a_stamped_invoice_offers_cancel_credit_note_correct_and_sat_status(client_in, issued):
    page = client_in.get(reverse("dashboard:invoice_detail", args=[issued.pk])).content.decode()
    assert "Cancelar ante el SAT" in page and "01 – Comprobante emitido con errores con relación" in page
    assert "Emitir nota de crédito" in page and "Corregir y sustituir" in page and "Consultar en el SAT" in page


def test_cancelling_from_the_dashboard_shows_the_cancellation(client_in, issued, django_capture_on_commit_callbacks):
    response = _post(client_in, django_capture_on_commit_callbacks,
                     reverse("dashboard:invoice_cancel", args=[issued.pk]), {"motivo": "02"})
    page = response.content.decode()
    assert "Se pidió al SAT cancelar la factura A-1" in page
    assert 'class="badge badge-cancelled">Cancelada<' in page and "Cancelada ante el SAT" in page
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.CANCELLED


def test_a_refused_cancellation_says_why(client_in, issued, django_capture_on_commit_callbacks):
    page = _post(client_in, django_capture_on_commit_callbacks,
                 reverse("dashboard:invoice_cancel", args=[issued.pk]), {"motivo": "01"}).content.decode()
    assert "primero se emite el CFDI que sustituye" in page
    assert Invoice.objects.get(pk=issued.pk).status == InvoiceStatus.DELIVERED


def test_a_credit_note_form_sent_twice_makes_one_credit_note(client_in, issued, django_capture_on_commit_callbacks):
    page = client_in.get(reverse("dashboard:invoice_detail", args=[issued.pk])).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', page).group(1)
    url = reverse("dashboard:invoice_credit_note", args=[issued.pk])
    data = {"amount": "500.00", "concept": "Bonificación", "token": token}
    first = _post(client_in, django_capture_on_commit_callbacks, url, data)
    _post(client_in, django_capture_on_commit_callbacks, url, data)
    assert "Nota de crédito A-2 creada" in first.content.decode()
    assert Invoice.objects.filter(tipo_de_comprobante="E").count() == 1


def test_correct_and_substitute_from_a_prefilled_form(client_in, issued, django_capture_on_commit_callbacks):
    form_page = client_in.get(reverse("dashboard:invoice_correct", args=[issued.pk])).content.decode()
    assert "Corregir y sustituir A-1" in form_page and 'value="999.000000"' in form_page
    data = {"customer": issued.customer_id, "metodo_pago": "PUE", "forma_pago": "03", "moneda": "MXN",
            "serie": "A", "send_email": "on", "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0",
            "lines-0-descripcion": "Suscripción mensual (corregida)", "lines-0-clave_prod_serv": "81112101",
            "lines-0-clave_unidad": "E48", "lines-0-cantidad": "1", "lines-0-unit_price": "899.00",
            "lines-0-taxes": "IVA16"}
    page = _post(client_in, django_capture_on_commit_callbacks,
                 reverse("dashboard:invoice_correct", args=[issued.pk]), data).content.decode()
    assert "Sustituta A-2 creada" in page
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.CANCELLED and issued.cancellation_motive == "01"


def test_a_held_invoice_is_edited_and_sent_again(client_in, org, customer, product,
                                                 django_capture_on_commit_callbacks):
    invoice = hold(make_invoice(org, customer, product=product))
    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Editar factura" in page
    data = {"customer": customer.pk, "metodo_pago": "PUE", "forma_pago": "01", "moneda": "MXN", "serie": "A",
            "lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0", "lines-0-product": product.pk,
            "lines-0-cantidad": "2"}
    page = _post(client_in, django_capture_on_commit_callbacks,
                 reverse("dashboard:invoice_correct", args=[invoice.pk]), data).content.decode()
    assert "Factura A-1 corregida" in page
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED and str(invoice.total) == "2317.68"


def test_asking_the_sat_shows_its_answer(client_in, issued, django_capture_on_commit_callbacks):
    page = _post(client_in, django_capture_on_commit_callbacks,
                 reverse("dashboard:invoice_sat_status", args=[issued.pk]), {}).content.decode()
    assert "El SAT dice: Vigente, Cancelable sin aceptación." in page
    assert "Estado en el SAT" in page


def test_the_org_chooses_whether_gateways_cancel_by_themselves(client_in, org):
    from timbra.invoicing.cancel_settings import settings_for

    url = reverse("dashboard:cancellation_settings")
    assert "Cancelar el CFDI cuando la pasarela anula la factura" in client_in.get(url).content.decode()
    client_in.post(url, {"cancel_on_full_refund": "on"})
    chosen = settings_for(org)
    assert (chosen.cancel_on_gateway_void, chosen.cancel_on_full_refund) == (False, True)


def test_a_rejected_cancellation_needs_attention(client_in, issued, django_capture_on_commit_callbacks, frozen,
                                                 settings):
    from datetime import datetime

    from tests.factories import MX

    settings.TIMBRA_SANDBOX_RECEPTOR = "rechaza"
    frozen.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=MX))
    _post(client_in, django_capture_on_commit_callbacks, reverse("dashboard:invoice_cancel", args=[issued.pk]),
          {"motivo": "03"})
    page = client_in.get(reverse("dashboard:attention")).content.decode()
    assert "Cancelación rechazada por el receptor (motivo 03): el CFDI sigue vigente" in page
