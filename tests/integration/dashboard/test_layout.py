"""Layout that works offline and in Spanish (issue 13 §2): error pages, favicon, the API docs'
assets and htmx served by the app itself, nothing loaded from another host."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_unknown_page_is_a_spanish_404(client_in):
    response = client_in.get("/no-existe/")

    assert response.status_code == 404
    assert "No encontramos esta página" in response.content.decode()


def test_server_error_page_is_in_spanish_and_needs_no_context():
    page = render_to_string("500.html")

    assert "Algo salió mal de nuestro lado" in page and 'lang="es-MX"' in page


def test_favicon_is_served_from_the_app(db):
    response = Client().get("/favicon.ico", follow=True)

    assert response.status_code == 200 and b"<svg" in b"".join(response.streaming_content)


def test_dashboard_pages_load_nothing_from_another_host(client_in):
    for name in ("home", "invoice_list", "customer_list", "settings"):
        page = client_in.get(reverse(f"dashboard:{name}")).content.decode()
        assert not EXTERNAL.search(page), name
        assert "/static/dashboard/vendor/htmx-" in page and 'class="nav-toggle"' in page


def test_api_docs_use_swagger_assets_served_by_the_app(db):
    client = Client()
    page = client.get("/api/v1/docs").content.decode()

    assert not EXTERNAL.search(page) and "cdn" not in page.lower()
    assets = re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
