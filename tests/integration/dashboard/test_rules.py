"""Reglas de facturación: list with order (move up/down), create/edit with SAT errors on the
field, the preview panel (creates nothing), the rate source, CSRF and another org's rule."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import NOW, make_org
from tests.integration.payments.conftest import Deliverer
from tests.integration.payments.test_rule_preview import store_only
from tests.unit.payments.stripe_events import SECRET, event
from timbra.invoicing.models import Invoice
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules.models import InvoicingRule, InvoicingSettings
from timbra.payments.rules.services import create_rule
from timbra.payments.services.connections import connect_stripe

pytestmark = pytest.mark.django_db

FORM = {"name": "Cursos", "enabled": "on", "description_contains": "robótica", "metadata": "order_id=ORD-7781",
        "currencies": "mxn", "invoice": "on", "clave_prod_serv": "86121700", "clave_unidad": "E48",
        "unidad": "Curso", "description_template": "{descripcion} ({periodo})", "price_includes_taxes": "on",
        "objeto_imp": "02", "taxes": ["IVA16", "RET_IVA_4"], "serie": "CUR", "uso_cfdi": "D10"}


@pytest.fixture
def charge(org, django_capture_on_commit_callbacks) -> Payment:
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    Deliverer(django_capture_on_commit_callbacks)(connection, event("charge_succeeded_oneoff"))
    return Payment.objects.get()


def names(org) -> list[str]:
    return list(InvoicingRule.objects.filter(org=org).order_by("position").values_list("name", flat=True))


def test_the_list_shows_rules_in_order_and_they_move_up_and_down(client_in, org):
    for name in ("Primera", "Segunda", "Tercera"):
        create_rule(org, {"name": name, "serie": "X"}, livemode=False, as_of=NOW)
    page = client_in.get(reverse("dashboard:rule_list")).content.decode()
    assert page.index("Primera") < page.index("Segunda") < page.index("Tercera")
    assert "Reglas" in page and "Tipo de cambio" in page
    third = InvoicingRule.objects.get(name="Tercera")
    client_in.post(reverse("dashboard:rule_up", args=[third.pk]))
    assert names(org) == ["Primera", "Tercera", "Segunda"]
    client_in.post(reverse("dashboard:rule_down", args=[InvoicingRule.objects.get(name="Primera").pk]))
    assert names(org) == ["Tercera", "Primera", "Segunda"]


def test_create_and_edit_a_rule(client_in, org):
    response = client_in.post(reverse("dashboard:rule_new"), {**FORM, "action": "save"})
    assert response.status_code == 302
    rule = InvoicingRule.objects.get(org=org)
    assert (rule.metadata, rule.currencies, rule.taxes, rule.uso_cfdi) == ({"order_id": "ORD-7781"}, ["MXN"],
                                                                            ["IVA16", "RET_IVA_4"], "D10")
    edit = client_in.get(reverse("dashboard:rule_edit", args=[rule.pk])).content.decode()
    assert "order_id=ORD-7781" in edit
    client_in.post(reverse("dashboard:rule_edit", args=[rule.pk]), {**FORM, "serie": "NUE", "action": "save"})
    rule.refresh_from_db()
    assert rule.serie == "NUE"


def test_a_bad_clave_is_explained_on_its_field_in_spanish(client_in, org):
    response = client_in.post(reverse("dashboard:rule_new"), {**FORM, "clave_unidad": "ZZZ", "action": "save"})
    assert response.status_code == 200
    assert "no es una clave de unidad vigente del catálogo c_ClaveUnidad" in response.content.decode()
    assert not InvoicingRule.objects.exists()


def test_the_preview_panel_shows_the_invoice_of_a_recent_charge_and_creates_nothing(client_in, org, charge):
    before = (Invoice.objects.count(), Payment.objects.count(), InvoicingRule.objects.count())
    form = client_in.get(reverse("dashboard:rule_new")).content.decode()
    assert f'value="p:{charge.pk}"' in form
    response = client_in.post(reverse("dashboard:rule_new"), {**FORM, "sample": f"p:{charge.pk}",
                                                              "action": "preview"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Vista previa" in page and "serie CUR" in page and "86121700" in page
    assert "Curso de robótica (pago único) (noviembre 2026)" in page and "No se enviaría por correo" in page
    assert "Retención ISR 10 %" in page and "aplica por" in page
    assert (Invoice.objects.count(), Payment.objects.count(), InvoicingRule.objects.count()) == before


def test_the_preview_of_a_skip_rule_on_an_unprocessed_event_says_why_no_invoice(
    client_in, org, django_capture_on_commit_callbacks
):
    connection = connect_stripe(org, signing_secret=SECRET, livemode=False, as_of=NOW)
    stored = store_only(connection, event("charge_succeeded_oneoff"), django_capture_on_commit_callbacks)
    data = {**FORM, "invoice": "", "skip_reason": "se incluye en la factura global", "sample": f"e:{stored.pk}",
            "action": "preview"}
    page = client_in.post(reverse("dashboard:rule_new"), data).content.decode()
    assert "No se crearía factura" in page and "se incluye en la factura global" in page
    assert Payment.objects.count() == 0 and WebhookEvent.objects.get().status == WebhookEvent.RECEIVED


def test_the_rate_source_is_saved(client_in, org):
    client_in.post(reverse("dashboard:rule_rates"), {"exchange_rate_source": "manual", "manual_rates": "usd=17.5"})
    settings = InvoicingSettings.objects.get(org=org)
    assert (settings.exchange_rate_source, settings.manual_rates) == ("manual", {"USD": "17.5"})
    response = client_in.post(reverse("dashboard:rule_rates"), {"exchange_rate_source": "manual",
                                                                "manual_rates": "ABC=1"}, follow=True)
    assert "no es una moneda extranjera" in response.content.decode()


def test_actions_need_the_csrf_token(staff, org):
    rule = create_rule(org, {"name": "Única"}, livemode=False, as_of=NOW)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    assert browser.post(reverse("dashboard:rule_delete", args=[rule.pk])).status_code == 403
    assert browser.post(reverse("dashboard:rule_new"), {**FORM, "action": "save"}).status_code == 403
    browser.get(reverse("dashboard:rule_list"))
    token = browser.cookies["csrftoken"].value
    assert browser.post(reverse("dashboard:rule_delete", args=[rule.pk]),
                        {"csrfmiddlewaretoken": token}).status_code == 302
    assert not InvoicingRule.objects.exists()


def test_another_orgs_rule_is_a_404(client_in):
    other = create_rule(make_org(), {"name": "Ajena"}, livemode=False, as_of=NOW)
    for name in ("rule_edit", "rule_up", "rule_down", "rule_delete"):
        assert client_in.post(reverse(f"dashboard:{name}", args=[other.pk])).status_code == 404
    assert client_in.get(reverse("dashboard:rule_edit", args=[other.pk])).status_code == 404
    assert InvoicingRule.objects.get().name == "Ajena"
