"""Login, membership and the test/live switch."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import make_customer, make_invoice

pytestmark = pytest.mark.django_db

PAGES = ["invoice_list", "attention", "invoice_new", "customer_list", "customer_new", "product_list",
         "product_new", "settings", "csd", "api_keys"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_is_sent_to_the_login_page(name):
    response = Client().get(reverse(f"dashboard:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_login_page_is_in_spanish_and_logs_a_member_in(staff):
    client = Client()
    page = client.get("/login/")
    assert "Iniciar sesión" in page.content.decode() and "Contraseña" in page.content.decode()

    response = client.post("/login/", {"username": "ana", "password": "contraseña-segura-1"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_shows_a_spanish_error(staff):
    response = Client().post("/login/", {"username": "ana", "password": "otra"})

    assert response.status_code == 200
    assert "Usuario o contraseña incorrectos." in response.content.decode()


def test_user_without_membership_gets_a_clear_spanish_page(db):
    user = User.objects.create_user("sin_empresa", password="x")
    client = Client()
    client.force_login(user)

    response = client.get("/")

    assert response.status_code == 403
    assert "no tiene acceso a ninguna empresa" in response.content.decode()


def test_logout_needs_a_post_and_ends_the_session(client_in):
    response = client_in.post("/logout/")

    assert response.status_code == 302
    assert client_in.get("/").status_code == 302


def test_test_mode_is_the_default_and_shows_the_banner(client_in, org, customer):
    make_invoice(org, customer)

    page = client_in.get("/facturas/").content.decode()

    assert "Modo pruebas" in page and "no tienen validez fiscal" in page
    assert "A-1" in page


def test_switching_to_production_hides_test_data_and_the_banner(client_in, org, customer):
    make_invoice(org, customer)
    live_customer = make_customer(org, rfc="EWE1709045U0", livemode=True)
    make_invoice(org, live_customer, livemode=True)

    response = client_in.post(reverse("dashboard:switch_mode"), {"mode": "live", "next": "/clientes/"})
    page = client_in.get("/clientes/").content.decode()

    assert response["Location"] == "/clientes/"
    assert 'class="test-banner"' not in page
    assert "EDGAR WALDO ERDMANN" in page and "UNIVERSIDAD ROBOTICA" not in page


def test_switch_never_redirects_off_site(client_in):
    response = client_in.post(reverse("dashboard:switch_mode"), {"mode": "test", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_stylesheet_is_served_without_a_static_file_server(client_in):
    page = client_in.get("/").content.decode()
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]

    response = Client().get(href)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")
    assert "immutable" in response["Cache-Control"]
    assert b"--accent" in response.content
