"""Abuse-proofing: links expire and can be revoked, the portal is rate-limited, neither customers
nor receipts can be enumerated, and nothing of another org is ever reachable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail, signing

from tests.factories import NOW, make_customer, make_invoice, make_org
from tests.integration.portal.conftest import ANA, path_of, portal_links
from timbra.portal import ratelimit
from timbra.portal.links import SALT, fiscal_data_url, payment_url
from timbra.portal.models import PortalEvent
from timbra.portal.services.revoke_links import revoke_links
from timbra.portal.views.entry import public_url

pytestmark = pytest.mark.django_db


def test_a_revoked_link_stops_working_and_a_new_one_works(org, browser, frozen):
    customer = make_customer(org)
    old = path_of(fiscal_data_url(customer, as_of=NOW))
    frozen.move_to(NOW + timedelta(minutes=5))
    revoke_links(customer, actor="Ana (staff)", as_of=NOW + timedelta(minutes=5))
    response = browser.get(old)
    assert response.status_code == 410 and "desactivado" in response.content.decode()
    assert browser.post(old, ANA).status_code == 410  # nor can it write
    frozen.move_to(NOW + timedelta(minutes=6))
    fresh = path_of(fiscal_data_url(customer, as_of=NOW + timedelta(minutes=6)))
    assert browser.get(fresh).status_code == 200
    assert PortalEvent.objects.filter(kind=PortalEvent.LINKS_REVOKED, customer=customer).exists()


def test_a_payment_link_is_revoked_with_the_customer_it_became(waiting_payment, browser, frozen):
    (url,) = portal_links(mail.outbox[-1])
    browser.post(path_of(url), ANA)
    waiting_payment.refresh_from_db()
    frozen.move_to(NOW + timedelta(minutes=1))
    revoke_links(waiting_payment.customer, actor="staff", as_of=NOW + timedelta(minutes=1))
    assert browser.get(path_of(url)).status_code == 410


def test_the_portal_answers_429_past_the_rate_limit(org, browser, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "view", ratelimit.Limit("view", 3, 60))
    url = path_of(fiscal_data_url(make_customer(org), as_of=NOW))
    codes = [browser.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    # guessing tokens counts too: garbage tokens from the same address are limited the same way
    assert browser.get("/portal/datos-fiscales/adivinanza").status_code == 429


def test_asking_for_a_link_answers_the_same_for_known_and_unknown_emails(org, browser):
    make_customer(org, emails=["conocido@example.com"])
    entry = path_of(public_url(org))
    mail.outbox.clear()
    known = browser.post(entry, {"email": "conocido@example.com"})
    unknown = browser.post(entry, {"email": "nadie@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert _page(known, "conocido") == _page(unknown, "nadie")
    # only the known email gets a message, with a working link
    (message,) = mail.outbox
    assert message.to == ["conocido@example.com"]
    (url,) = portal_links(message)
    assert browser.get(path_of(url)).status_code == 200


def _page(response, name: str) -> str:
    """The page without what legitimately differs: the echoed email and the per-render CSRF mask."""
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", response.content.decode().replace(name, "X"))


def test_asking_for_links_is_limited_per_email(org, browser):
    make_customer(org, emails=["conocido@example.com"])
    entry = path_of(public_url(org))
    codes = [browser.post(entry, {"email": "conocido@example.com"}).status_code
             for _ in range(ratelimit.LOOKUP.requests + 1)]
    assert codes[-1] == 429 and set(codes[:-1]) == {200}


def test_a_forged_public_page_key_names_no_business(org, browser):
    key = public_url(org).rstrip("/").rsplit("/", 1)[1]
    other_id = key.split(":")[0] + "1"
    assert browser.get(f"/portal/negocio/{other_id}:{key.split(':')[1]}/").status_code == 404
    assert browser.get(f"/portal/negocio/{org.pk}/").status_code == 404


def test_another_customers_invoice_is_not_reachable_even_with_a_valid_link(org, browser):
    mine, theirs = make_customer(org), make_customer(org, rfc="EWE1709045U0", nombre="EDGAR WALDO ERDMANN",
                                                     regimen="601", cp="42501")
    with browser.capture(execute=True):
        their_invoice = make_invoice(org, theirs)
    url = path_of(fiscal_data_url(mine, as_of=NOW))
    for suffix in (f"/facturas/{their_invoice.pk}/pdf", f"/facturas/{their_invoice.pk}/xml",
                   f"/facturas/{their_invoice.pk + 1000}/pdf"):
        response = browser.get(url + suffix)
        assert response.status_code == 404, suffix
        assert b"EWE1709045U0" not in response.content


def test_nothing_from_another_org_is_reachable(org, browser, waiting_payment):
    other_org = make_org(nombre="OTRA EMPRESA")
    foreign = make_customer(other_org)
    with browser.capture(execute=True):
        foreign_invoice = make_invoice(other_org, foreign)
    # a link signed for org A that names org B's customer, invoice or payment opens nothing
    for payload in ({"o": org.pk, "c": foreign.pk}, {"o": other_org.pk, "p": waiting_payment.pk}):
        token = signing.dumps({**payload, "iat": 0, "exp": 2**40}, salt=SALT)
        assert browser.get(f"/portal/datos-fiscales/{token}").status_code == 404
    mine = path_of(fiscal_data_url(make_customer(org), as_of=NOW))
    assert browser.get(f"{mine}/facturas/{foreign_invoice.pk}/xml").status_code == 404
    # and a payment link cannot take over an existing customer by typing its RFC
    (url,) = portal_links([m for m in mail.outbox if m.to == ["ana@example.com"]][0])
    assert url == payment_url(waiting_payment, as_of=NOW)
    browser.post(path_of(url), {**ANA, "rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
                                "codigo_postal": "86991"})
    waiting_payment.refresh_from_db()
    assert waiting_payment.customer.org_id == org.pk and waiting_payment.customer.emails == ["ana@example.com"]


def test_the_public_page_points_a_customer_with_a_receipt_code_to_autofactura(org, browser, frozen):
    # given the org's factura global settings (they hold the autofactura page's slug)
    from timbra.globalinvoice.services.configure import ensure_settings

    config = ensure_settings(org, as_of=org.created_at)
    page = browser.get(path_of(public_url(org))).content.decode()
    assert f'href="/portal/autofactura/{config.portal_slug}/"' in page
    assert browser.get(f"/portal/autofactura/{config.portal_slug}/").status_code == 200
