"""Issue 13 in a real browser: the top bar and "Inicio" fit at 1280, 1440 and 375 px, the API docs
list the operations with the network blocked, and an invoice turns "Entregada" without a reload."""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from tests.factories import make_customer, make_invoice, make_product
from timbra import jobs
from timbra.domain.status import InvoiceStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [1280, 1366, 1440])
def test_home_fits_a_laptop_and_salir_is_on_screen(open_as, live_server, member, width):
    page = open_as(member, width)
    page.goto(f"{live_server.url}/")

    assert page.get_by_role("heading", name="Inicio").is_visible()
    assert overflow(page) <= 0
    salir = page.get_by_role("button", name="Salir")
    box = salir.bounding_box()
    assert salir.is_visible() and box["x"] + box["width"] <= width
    if width < 1400:  # the links fold behind "Menú" and open from it
        assert not page.get_by_role("link", name="Clientes").is_visible()
        page.get_by_text("Menú").click()
    assert page.get_by_role("link", name="Clientes").is_visible()
    assert overflow(page) <= 0
    if shots := os.environ.get("TIMBRA_SCREENSHOTS"):  # a person's look: TIMBRA_SCREENSHOTS=/tmp/shots
        page.screenshot(path=f"{shots}/home-{width}.png", full_page=True)


def test_home_on_a_phone_has_no_sideways_scroll_and_a_menu(open_as, live_server, member):
    page = open_as(member, 375, 740, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{live_server.url}/")

    assert page.get_by_role("heading", name="Inicio").is_visible()
    assert overflow(page) <= 0
    assert not page.get_by_role("button", name="Salir").is_visible()
    page.get_by_text("Menú").click()
    assert page.get_by_role("link", name="Facturas", exact=True).is_visible()
    assert page.get_by_role("button", name="Salir").is_visible()
    assert overflow(page) <= 0
    if shots := os.environ.get("TIMBRA_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/home-375.png", full_page=True)
    for path in ("/facturas/", "/clientes/", "/suscripciones/", "/ajustes/", "/reglas/", "/no-existe/"):
        page.goto(f"{live_server.url}{path}")
        assert overflow(page) <= 0, path


def test_api_docs_list_the_operations_with_the_network_blocked(chromium, live_server):
    context = chromium.new_context(locale="es-MX", viewport={"width": 1280, "height": 900})
    outside = []

    def only_this_server(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/api/v1/docs")
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 20
        assert page.get_by_text("/api/v1/invoices", exact=True).first.is_visible()
        assert outside == []
    finally:
        context.close()


def test_an_invoice_turns_entregada_on_screen_without_a_reload(open_as, live_server, member, dash_org,
                                                               monkeypatch, settings):
    # given a draft whose processing has not run yet (the job is held back)
    settings.TIMBRA_BASE_URL = live_server.url
    held_back = []
    monkeypatch.setattr(jobs, "enqueue_on_commit", lambda name, **kw: held_back.append((name, kw)))
    now = timezone.now()
    customer = make_customer(dash_org)
    invoice = make_invoice(dash_org, customer, product=make_product(dash_org, as_of=now), as_of=now)
    assert invoice.status == InvoiceStatus.DRAFT and held_back
    page = open_as(member, 1280)
    page.goto(f"{live_server.url}/facturas/{invoice.pk}/")
    badge = page.locator(f"#invoice-status-{invoice.pk}")
    assert badge.inner_text() == "Borrador"
    page.evaluate("window.__same_document = true")

    # when the worker seals, stamps and delivers it
    monkeypatch.undo()
    jobs.enqueue("invoicing.process", invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DELIVERED

    # then the open page says so by itself, in the same document (no reload)
    page.wait_for_function(
        f"document.querySelector('#invoice-status-{invoice.pk}').innerText.trim() === 'Entregada'", timeout=10_000)
    assert page.evaluate("window.__same_document") is True


@pytest.mark.parametrize(("role", "sees", "hidden"), [
    ("owner", ["Ajustes", "Reglas", "Clientes"], []),
    ("accountant", ["Ajustes", "Pagos recibidos"], []),
    ("operator", ["Clientes", "Facturas"], ["Ajustes", "Pasarelas"]),
    ("viewer", ["Facturas", "Ajustes"], []),
])
def test_each_role_sees_the_pages_it_may_open(open_as, live_server, member, role, sees, hidden):
    from timbra.orgs.models import Membership

    Membership.objects.filter(user=member).update(role=role)
    page = open_as(member, 1440)
    page.goto(f"{live_server.url}/")

    nav = page.get_by_role("navigation", name="Principal")
    for name in sees:
        assert nav.get_by_role("link", name=name, exact=True).is_visible(), (role, name)
    for name in hidden:
        assert nav.get_by_role("link", name=name, exact=True).count() == 0, (role, name)
    page.goto(f"{live_server.url}/ajustes/api/")
    assert ("No tienes permiso" in page.content()) == (role == "operator")
    if role == "viewer":  # reads the customer form but cannot save it
        page.goto(f"{live_server.url}/clientes/nuevo/")
        assert "No tienes permiso" in page.content()
