"""Every change audited (issue 13 §4): customers' fiscal data and API keys keep who, when, from
where and before -> after; a customer's page shows its history, Ajustes → Actividad the org's,
and no secret is ever written there."""

from __future__ import annotations

import json

from django.urls import reverse

from tests.integration.api.conftest import ApiClient
from timbra.orgs.models import OrgEvent
from timbra.orgs.services import create_api_key

EDIT = {"rfc": "URE180429TM6", "nombre": "UNIVERSIDAD ROBOTICA ESPAÑOLA", "regimen_fiscal": "601",
        "codigo_postal": "86991", "uso_cfdi": "G01", "emails": "pagos@robotica.example"}


def test_a_customer_edit_in_the_dashboard_is_recorded_before_and_after(client_in, org, customer):
    # when a person changes the uso de CFDI and the emails
    response = client_in.post(reverse("dashboard:customer_edit", args=[customer.pk]), EDIT)

    # then one audit row says who, from the dashboard, and what changed
    assert response.status_code == 302
    event = OrgEvent.objects.get(org=org, kind="customer_changed")
    assert (event.actor, event.source, event.object_type, event.object_id) == (
        "Ana López", "dashboard", "customer", str(customer.pk))
    assert event.data["changes"]["uso_cfdi"] == ["G03", "G01"]
    page = client_in.get(reverse("dashboard:customer_edit", args=[customer.pk])).content.decode()
    assert "Historial de cambios" in page and "G03" in page and "G01" in page


def test_an_api_change_is_recorded_as_coming_from_the_api(org, customer):
    _, token = create_api_key(org, name="integración", livemode=False, scopes="read,write,keys",
                              as_of=customer.created_at)

    ApiClient(token).patch(f"/customers/{customer.pk}", {"uso_cfdi": "G01"})

    event = OrgEvent.objects.get(org=org, kind="customer_changed")
    assert event.source == "api" and event.data["changes"] == {"uso_cfdi": ["G03", "G01"]}


def test_api_keys_are_audited_without_their_secret(client_in, org):
    response = client_in.post(reverse("dashboard:api_keys"), {"name": "ERP", "livemode": "test",
                                                              "scopes": ["read", "write"]})
    token = response.content.decode().split("sk_test_", 1)[1].split('"', 1)[0]

    created = OrgEvent.objects.get(org=org, kind="api_key_created")
    assert created.actor == "Ana López" and created.data["changes"]["name"] == [None, "ERP"]
    stored = json.dumps(list(OrgEvent.objects.filter(org=org).values("message", "data")))
    assert token[-20:] not in stored

    audit = client_in.get(reverse("dashboard:audit"), {"persona": "Ana López", "objeto": "api_key"})
    assert "Clave de API creada: ERP" in audit.content.decode()
    assert "Clave de API" not in client_in.get(reverse("dashboard:audit"), {"objeto": "customer"}).content.decode()


def test_rule_changes_are_recorded_and_shown_on_the_rule(client_in, org):
    from timbra.payments.rules.models import InvoicingRule
    from timbra.payments.rules.services import create_rule, delete_rule, update_rule

    rule = create_rule(org, {"name": "Donativos", "invoice": True}, livemode=False, as_of=org.created_at,
                       actor="Ana López", source="dashboard")
    update_rule(rule, {"name": "Donativos", "invoice": False, "skip_reason": "No se facturan"},
                as_of=org.created_at, actor="Beto", source="api")

    changed = OrgEvent.objects.get(org=org, kind="rule_changed")
    assert changed.data["changes"]["invoice"] == [True, False] and changed.source == "api"
    page = client_in.get(reverse("dashboard:rule_edit", args=[rule.pk])).content.decode()
    assert "Regla cambiada: Donativos." in page and "Beto" in page

    delete_rule(InvoicingRule.objects.get(pk=rule.pk), as_of=org.created_at, actor="Beto", source="api")
    assert OrgEvent.objects.get(org=org, kind="rule_deleted").data["changes"]["name"] == ["Donativos", None]


def test_gateway_settings_are_audited_with_hints_only(client_in, org, stripe):
    new_secret = "whsec_" + "n" * 32
    client_in.post(reverse("dashboard:gateway_secret_add", args=[stripe.pk]), {f"s{stripe.pk}-signing_secret": new_secret})
    client_in.post(reverse("dashboard:gateway_toggle", args=[stripe.pk]), {"status": "disabled"})

    rows = OrgEvent.objects.filter(org=org, object_type="gateway").order_by("pk")
    assert [r.kind for r in rows] == ["gateway_secret_added", "gateway_status_changed"]
    assert rows[1].data["changes"]["status"] == ["active", "disabled"] and rows[1].actor == "Ana López"
    assert new_secret not in json.dumps(list(rows.values("message", "data")))


def test_plan_changes_are_recorded(org):
    from tests.integration.schedules.conftest import at, make_plan
    from timbra.schedules.services.plans import update_plan

    plan = make_plan(org, as_of=at(2026, 11, 20, 10))
    update_plan(plan, {"name": "Plan anual", "notice_days": 10}, as_of=at(2026, 11, 21, 10), actor="Ana López",
                source="dashboard")

    created, changed = OrgEvent.objects.filter(org=org, object_type="plan").order_by("pk")
    assert created.kind == "plan_created" and changed.kind == "plan_changed"
    assert changed.data["changes"]["name"][1] == "Plan anual" and changed.actor == "Ana López"
