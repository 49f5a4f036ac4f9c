"""The notice's "revisa tus datos fiscales" link: signed, expiring, one customer's portal."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core import mail, signing
from django.test import Client

from tests.factories import NOW, make_customer, make_org
from tests.integration.notices.conftest import notices, run_jobs
from tests.integration.schedules.conftest import at, make_schedule
from timbra.portal.links import SALT, LinkError, customer_for, fiscal_data_token, fiscal_data_url

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_preview_email_links_to_a_page_with_the_customers_current_fiscal_data(org, customer, frozen):
    # given a monthly schedule whose preview goes out on Jan 7
    make_schedule(org, customer, as_of=at(2026, 11, 20, 10), anchor_date=date(2026, 12, 10), notice_days=3)
    mail.outbox.clear()
    run_jobs(at(2027, 1, 7, 5, 45), at(2027, 1, 7, 6))
    (message,) = notices("Vista previa")
    # then the email carries the link, in text and HTML
    (url,) = re.findall(r"https?://\S+/portal/datos-fiscales/\S+", message.body)
    assert url in message.alternatives[0][0]
    # when the customer opens it a few days later
    frozen.move_to(at(2027, 1, 9, 12))
    response = Client().get(path_of(url))
    # then the portal shows its fiscal data in the form it can correct them with
    page = response.content.decode()
    assert response.status_code == 200
    for expected in ['value="URE180429TM6"', 'value="UNIVERSIDAD ROBOTICA ESPAÑOLA"',
                     '<option value="601" selected>601 · General de Ley Personas Morales',
                     'value="86991"', '<option value="G03" selected>G03 · Gastos en general',
                     "Escribe a ESCUELA KEMPER URGATE"]:
        assert expected in page, expected
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"


def test_a_tampered_link_shows_a_clear_spanish_error(customer):
    token = fiscal_data_token(customer, as_of=NOW)
    other = make_customer(customer.org, rfc="XIA190128J61")
    # the other customer's data under this token's signature, a cut token, and garbage
    forged = fiscal_data_token(other, as_of=NOW).split(":")[0] + ":" + token.split(":", 1)[1]
    for bad in (forged, token[:-3], "abc", token + "x"):
        response = Client().get(f"/portal/datos-fiscales/{bad}")
        assert response.status_code == 404, bad
        assert "Este enlace no es válido" in response.content.decode()
        assert other.rfc not in response.content.decode()


def test_an_expired_link_says_so(customer, frozen):
    url = fiscal_data_url(customer, as_of=NOW, max_age=timedelta(days=30))
    frozen.move_to(NOW + timedelta(days=30, seconds=1))
    response = Client().get(path_of(url))
    assert response.status_code == 410
    assert "Este enlace ya venció" in response.content.decode()


def test_the_link_names_one_customer_of_one_org(customer):
    foreign = make_customer(make_org(rfc="EKU9003173C9", nombre="OTRA EMPRESA"))
    assert customer_for(fiscal_data_token(foreign, as_of=NOW), as_of=NOW) == foreign
    assert customer_for(fiscal_data_token(customer, as_of=NOW), as_of=NOW) == customer
    # a validly signed token whose org is not the customer's opens nothing
    mismatched = signing.dumps({"o": foreign.org_id, "c": customer.pk, "exp": 2**40}, salt=SALT)
    with pytest.raises(LinkError, match="ya no corresponde"):
        customer_for(mismatched, as_of=NOW)
