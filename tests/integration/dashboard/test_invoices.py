"""Invoice list, invoice page, retry/discard actions and CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_customer, make_invoice
from tests.integration.dashboard.conftest import hold
from timbra import jobs
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def test_list_shows_serie_folio_customer_total_and_spanish_status(client_in, invoice):
    page = client_in.get("/facturas/").content.decode()

    assert "A-1" in page and "UNIVERSIDAD ROBOTICA ESPAÑOLA" in page
    assert f"${invoice.total:,.2f} MXN" in page
    assert 'class="badge badge-draft">Borrador<' in page


def test_list_filters_by_status(client_in, org, customer, product):
    make_invoice(org, customer, product=product)
    hold(make_invoice(org, customer, product=product))

    page = client_in.get("/facturas/", {"status": "held"}).content.decode()

    assert ">A-2<" in page and ">A-1<" not in page


@pytest.mark.parametrize("query", ["A-2", "2", "EWE1709045U0", "erdmann"])
def test_search_finds_by_folio_rfc_or_customer_name(client_in, org, customer, product, query):
    make_invoice(org, customer, product=product)
    make_invoice(org, make_customer(org, rfc="EWE1709045U0"), product=product)

    page = client_in.get("/facturas/", {"q": query}).content.decode()

    assert ">A-2<" in page and ">A-1<" not in page


def test_list_paginates_after_25_invoices(client_in, org, customer, product):
    for _ in range(26):
        make_invoice(org, customer, product=product)

    first = client_in.get("/facturas/").content.decode()
    second = client_in.get("/facturas/", {"page": 2}).content.decode()

    assert "Página 1 de 2" in first and ">A-1<" not in first
    assert ">A-1<" in second


def test_attention_lists_held_invoices_with_their_reason(client_in, org, customer, product):
    hold(make_invoice(org, customer, product=product), "El código postal del receptor no es válido.")
    make_invoice(org, customer, product=product)

    page = client_in.get(reverse("dashboard:attention")).content.decode()

    assert "Factura A-1" in page and "El código postal del receptor no es válido." in page
    assert "Factura A-2" not in page


def test_invoice_page_shows_receptor_lines_totals_and_timeline(client_in, invoice):
    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()

    assert "Factura A-1" in page and "URE180429TM6" in page
    assert "Suscripción mensual plataforma SaaS" in page and "IVA 16 %" in page
    assert f"${invoice.total:,.2f} MXN" in page
    assert "Factura creada" in page and "20/11/2026 10:00:00" in page  # org timezone, not UTC
    assert "Descartar factura" in page and ">Reintentar<" not in page


def test_timeline_times_are_in_the_orgs_timezone(client_in, org, invoice):
    org.timezone = "America/Tijuana"  # UTC−8 in November; the server runs on Mexico City time
    org.save(update_fields=["timezone"])

    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()

    assert "20/11/2026 08:00:00" in page and "20/11/2026 10:00:00" not in page


def test_held_invoice_offers_retry_and_a_link_to_fix_the_customer(client_in, invoice):
    hold(invoice)

    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()

    assert "El régimen fiscal del receptor no coincide con su RFC." in page
    assert ">Reintentar<" in page
    assert reverse("dashboard:customer_edit", args=[invoice.customer_id]) + "?next=" in page


def test_retry_moves_a_held_invoice_back_to_the_pipeline(client_in, invoice, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    hold(invoice)
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kwargs: queued.append((name, kwargs)))

    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(reverse("dashboard:invoice_retry", args=[invoice.pk]))

    invoice.refresh_from_db()
    assert response.status_code == 302
    assert invoice.status == "draft" and invoice.hold_code == ""
    assert [(name, kwargs["invoice_id"]) for name, kwargs in queued] == [("invoicing.process", invoice.pk)]
    retry = invoice.events.get(kind="retry")
    assert retry.actor == "Ana López"
    assert "volvió a la cola" in client_in.get(response["Location"]).content.decode()


def test_retry_of_an_invoice_that_is_not_held_shows_the_spanish_reason(client_in, invoice):
    response = client_in.post(reverse("dashboard:invoice_retry", args=[invoice.pk]), follow=True)

    assert "Solo una factura detenida se puede reintentar." in response.content.decode()


def test_discard_cancels_a_draft(client_in, invoice):
    response = client_in.post(reverse("dashboard:invoice_discard", args=[invoice.pk]), follow=True)

    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    assert "se descartó" in response.content.decode()


def test_actions_refuse_a_post_without_csrf_token(staff, invoice):
    hold(invoice)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)

    refused = browser.post(reverse("dashboard:invoice_retry", args=[invoice.pk]))
    browser.get(reverse("dashboard:invoice_detail", args=[invoice.pk]))  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(reverse("dashboard:invoice_discard", args=[invoice.pk]), {"csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "cancelled"


def test_files_of_an_unstamped_invoice_are_not_found(client_in, invoice):
    assert client_in.get(reverse("dashboard:invoice_pdf", args=[invoice.pk])).status_code == 404
    assert client_in.get(reverse("dashboard:invoice_xml", args=[invoice.pk])).status_code == 404


def test_fixing_the_customer_and_retrying_stamps_a_held_invoice(client_in, org, product,
                                                              django_capture_on_commit_callbacks):
    # Given an invoice the sandbox PAC rejected: the name does not match the RFC (CFDI40145)
    customer = make_customer(org, nombre="NOMBRE EQUIVOCADO")
    with django_capture_on_commit_callbacks(execute=True):
        invoice = make_invoice(org, customer, product=product)
    invoice.refresh_from_db()
    assert invoice.status == "held"
    assert "CFDI40145" in client_in.get(reverse("dashboard:attention")).content.decode()

    # When staff correct the name and press "Reintentar"
    client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]),
                   {"rfc": customer.rfc, "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
                    "codigo_postal": customer.codigo_postal, "uso_cfdi": "G03", "emails": "a@example.com"})
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(reverse("dashboard:invoice_retry", args=[invoice.pk]))

    # Then it is stamped with the same folio and the timeline tells the story
    invoice.refresh_from_db()
    assert invoice.status in ("stamped", "delivered") and invoice.uuid and invoice.serie_folio == "A-1"
    page = client_in.get(reverse("dashboard:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Reintento solicitado" in page and "Timbrada" in page and "Descargar PDF" in page
