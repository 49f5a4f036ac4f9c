"""Tenant and mode isolation over EVERY route of the API (reliability.md §3.2, ASVS 8.4.1/8.2.2).

The routes are read from the API itself, so an endpoint added later is walked too. Org B's
key is pointed at org A's ids: objects must be 404 (never 403: no existence oracle), lists
must not contain A's rows, and nothing A owns may change. The same walk is done across
modes: a live key against test-mode ids and the other way round.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from tests.factories import NOW, make_customer, make_invoice, make_org, make_product
from tests.integration.api.conftest import ALL_SCOPES, BASE, make_token
from tests.integration.gateway_rows import make_gateway_rows
from timbra.api import api as ninja_api
from timbra.domain.status import InvoiceStatus
from timbra.invoicing import pacs
from timbra.invoicing.inputs import LineInput
from timbra.invoicing.models import Invoice
from timbra.orgs.models import ApiKey, Csd, Org
from timbra.orgs.services import update_org_settings
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.rules.models import InvoicingRule
from timbra.payments.rules.services import create_rule
from timbra.receivables.models import PaymentApplication, ReceivedPayment
from timbra.receivables.services.record_payment import record_payment
from timbra.schedules.inputs import PlanInput, ScheduleInput
from timbra.schedules.models import Plan, Schedule
from timbra.schedules.services.create_schedule import activate, create_schedule
from timbra.schedules.services.plans import create_plan

pytestmark = pytest.mark.django_db

# Which kind of object each path parameter names. A new parameter must be added here (the
# walk fails loudly rather than skipping a route).
PARAM_KINDS = {"customer_id": "customers", "product_id": "products", "invoice_id": "invoices", "key_id": "api_keys",
               "plan_id": "plans", "schedule_id": "schedules", "payment_id": "payments",
               "connection_id": "gateway_connections", "secret_id": "signing_secrets",
               "event_id": "gateway_events", "gateway_payment_id": "gateway_payments",
               "rule_id": "invoicing_rules", "refund_id": "refunds"}
# Which kind of rows each list endpoint returns.
LIST_KINDS = {"/customers": "customers", "/products": "products", "/invoices": "invoices", "/api-keys": "api_keys",
              "/plans": "plans", "/schedules": "schedules", "/payments": "payments", "/payments/due-reps": "payments",
              "/gateway-events": "gateway_events", "/gateway-payments": "gateway_payments",
              "/invoicing-rules": "invoicing_rules"}
# Creations whose body names the victim's rows: they must answer 404 like a path id would.
VICTIM_BODIES = {("POST", "/invoices"), ("POST", "/schedules"), ("POST", "/payments"),
                 ("POST", "/invoicing-rules/preview")}


@dataclass
class Victim:
    """What must stay invisible: ids by kind, and strings that only its rows contain."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)


def routes() -> list[tuple[str, str]]:
    schema = ninja_api.get_openapi_schema(path_prefix="")
    return [(method.upper(), path) for path, methods in schema["paths"].items() for method in methods]


def sample_body(method: str, path: str, victim: Victim) -> dict[str, Any]:
    """Bodies that point at the victim's rows where a body can (creating an invoice for its customer)."""
    if (method, path) == ("POST", "/invoices"):
        return {"customer_id": victim.ids["customers"][0], "forma_pago": "04",
                "lines": [{"product_id": victim.ids["products"][0]}]}
    if (method, path) == ("POST", "/schedules"):
        return {"customer_id": victim.ids["customers"][0], "plan_id": victim.ids["plans"][0]}
    if (method, path) == ("POST", "/payments"):
        return {"customer_id": victim.ids["customers"][0], "fecha_pago": "2026-11-19", "forma_de_pago": "03",
                "monto": "1.00", "applications": [{"invoice_id": victim.ids["invoices"][-1], "amount": "1.00"}]}
    if (method, path) in (("POST", "/invoices/{invoice_id}/substitute"), ("PUT", "/invoices/{invoice_id}")):
        return {"customer_id": victim.ids["customers"][0], "forma_pago": "04",
                "lines": [{"product_id": victim.ids["products"][0]}]}
    if (method, path) == ("POST", "/invoices/{invoice_id}/cancel"):
        return {"motivo": "02"}
    if (method, path) == ("POST", "/invoices/{invoice_id}/sandbox-receptor-answer"):
        return {"acepta": True}
    if (method, path) == ("POST", "/invoicing-rules/preview"):
        return {"event_id": victim.ids["gateway_events"][0]}
    if (method, path) == ("POST", "/gateway-payments/{gateway_payment_id}/refunds/{refund_id}/dismiss"):
        return {"reason": "Descartado por otro"}
    if (method, path) == ("PUT", "/invoicing-rules/{rule_id}"):
        return {"name": "Regla cambiada por otro"}
    if (method, path) == ("POST", "/gateway-connections/{connection_id}/signing-secrets"):
        return {"signing_secret": "whsec_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2"}
    return {}


def call(client: Client, token: str, method: str, path: str, body: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if method == "GET":
        return client.get(BASE + path, headers=headers)
    return client.generic(method, BASE + path, data=json.dumps(body), content_type="application/json",
                          headers=headers)


def walk(token: str, victim: Victim) -> list[str]:
    """Call every route with `token`, filling path params with the victim's ids; return the leaks."""
    client, leaks, walked = Client(), [], 0
    for method, template in routes():
        params = re.findall(r"{(\w+)}", template)
        unknown = [p for p in params if p not in PARAM_KINDS]
        assert not unknown, f"{method} {template}: add {unknown} to PARAM_KINDS so isolation covers it"
        choices = [victim.ids[PARAM_KINDS[p]] for p in params]
        for values in itertools.product(*choices):
            path = template.format(**dict(zip(params, values, strict=True)))
            path += "?until=2027-12-31" if template == "/schedules/preview" else ""
            response = call(client, token, method, path, sample_body(method, template, victim))
            walked += 1
            leaks += check(method, template, path, response, victim)
    assert walked >= len(routes())
    return leaks


def check(method: str, template: str, path: str, response: Any, victim: Victim) -> list[str]:
    where = f"{method} {path} → {response.status_code}"
    leaks = [f"{where} shows «{m}»" for m in victim.markers if m.encode() in response.content]
    if "{" in template or (method, template) in VICTIM_BODIES:
        if response.status_code != 404:
            leaks.append(f"{where}: expected 404 for another tenant's/mode's object")
        return leaks
    if method == "GET" and template in LIST_KINDS and response.status_code == 200:
        shown = {row["id"] for row in response.json()["data"]}
        leaks += [f"{where} lists id {i}" for i in shown & set(victim.ids[LIST_KINDS[template]])]
    elif method == "GET" and response["Content-Type"].startswith("application/json") and "data" in response.json():
        leaks.append(f"{where}: a list endpoint missing from LIST_KINDS")
    return leaks


def snapshot(org: Org) -> dict[str, Any]:
    return {
        "org": Org.objects.filter(pk=org.pk).values("email", "brand_color", "default_serie").get(),
        "csd": list(Csd.objects.filter(org=org).values_list("no_certificado", "active", "uploaded_at")),
        "invoices": list(Invoice.objects.filter(org=org).order_by("pk").values_list("pk", "status")),
        "customers": list(org.customers.order_by("pk").values_list("pk", "nombre", "emails", "updated_at")),
        "products": list(org.products.order_by("pk").values_list("pk", "descripcion", "unit_price")),
        "keys": list(ApiKey.objects.filter(org=org).order_by("pk").values_list("pk", "revoked_at")),
        "plans": list(Plan.objects.filter(org=org).order_by("pk").values_list("pk", "name", "updated_at")),
        "schedules": list(Schedule.objects.filter(org=org).order_by("pk").values_list("pk", "status", "revision")),
        "payments": list(ReceivedPayment.objects.filter(org=org).order_by("pk").values_list("pk", "status", "monto")),
        "applications": list(PaymentApplication.objects.filter(payment__org=org).order_by("pk")
                             .values_list("pk", "num_parcialidad", "active")),
        "gateway_connections": list(GatewayConnection.objects.filter(org=org).order_by("pk").values_list(
            "pk", "status", "signing_secret_hints", "api_key_hint", "metadata_keys")),
        "gateway_events": list(WebhookEvent.objects.filter(org=org).order_by("pk").values_list("pk", "status",
                                                                                                "attempts")),
        "gateway_payments": list(Payment.objects.filter(org=org).order_by("pk").values_list("pk", "status")),
        "refunds": list(Refund.objects.filter(org=org).order_by("pk").values_list("pk", "status", "status_reason")),
        "invoicing_rules": list(InvoicingRule.objects.filter(org=org).order_by("pk").values_list(
            "pk", "name", "position", "updated_at")),
    }


@pytest.fixture
def org_a(db, frozen, django_capture_on_commit_callbacks):
    """Org A with test-mode data (a stamped and a draft invoice), live-mode data and both keys."""
    org = make_org()
    update_org_settings(org, email="contabilidad-a@secreto.example", brand_color="#123456",
                        default_serie="A", logo=None, remove_logo=False)
    customer = make_customer(org, rfc="EWE1709045U0", emails=["edgar-a@secreto.example"])
    product = make_product(org, descripcion="Producto exclusivo de A", sku="SKU-A-SECRETO")
    with django_capture_on_commit_callbacks(execute=True):
        stamped = make_invoice(org, customer, product=product)
    draft = make_invoice(org, customer, product=product)
    test_token = make_token(org, name="Clave de A pruebas")
    live_token = make_token(org, livemode=True, name="Clave de A produccion")
    live_customer = make_customer(org, rfc="H&E951128469", livemode=True, emails=["vivo-a@secreto.example"])
    live_product = make_product(org, livemode=True, descripcion="Producto en vivo de A", sku="SKU-A-VIVO")
    live_invoice = make_invoice(org, live_customer, product=live_product, livemode=True)
    plan, schedule = _plan_and_schedule(org, customer, product, livemode=False)
    live_plan, live_schedule = _plan_and_schedule(org, live_customer, live_product, livemode=True)
    ppd, payments = _ppd_and_payments(org, customer, product, django_capture_on_commit_callbacks)
    with pacs.override(pacs.sandbox_pac()):  # live invoices are never stamped without a real PAC
        live_ppd, live_payments = _ppd_and_payments(org, live_customer, live_product,
                                                    django_capture_on_commit_callbacks)
    stamped.refresh_from_db()
    assert stamped.status == InvoiceStatus.DELIVERED and stamped.uuid
    keys = {k.livemode: k for k in ApiKey.objects.filter(org=org)}
    gateway = {mode: make_gateway_rows(org, livemode=mode == "live", marker=f"secreto_a_{mode}")
               for mode in ("test", "live")}
    rules = {mode: create_rule(org, {"name": f"Regla secreta de A ({mode})"}, livemode=mode == "live", as_of=NOW).pk
             for mode in ("test", "live")}
    return {
        "org": org, "test_token": test_token, "live_token": live_token,
        "test": Victim(
            ids={"customers": [customer.pk], "products": [product.pk], "invoices": [stamped.pk, draft.pk, ppd.pk],
                 "api_keys": [keys[False].pk], "plans": [plan.pk], "schedules": [schedule.pk],
                 "payments": payments, **_gateway_ids(gateway["test"]),
                 "invoicing_rules": [rules["test"]]},
            markers=[*_gateway_markers(gateway["test"]), "EWE1709045U0", "EDGAR WALDO", "edgar-a@secreto.example", "Producto exclusivo de A",
                     "SKU-A-SECRETO", stamped.uuid, "Clave de A pruebas", keys[False].prefix,
                     "Plan secreto de A (test)", "Iguala secreta de A (test)", ppd.uuid,
                     "OPERACION-SECRETA-A-test", "Regla secreta de A (test)"],
        ),
        "live": Victim(
            ids={"customers": [live_customer.pk], "products": [live_product.pk], "invoices": [live_invoice.pk, live_ppd.pk],
                 "api_keys": [keys[True].pk], "plans": [live_plan.pk], "schedules": [live_schedule.pk],
                 "payments": live_payments, **_gateway_ids(gateway["live"]),
                 "invoicing_rules": [rules["live"]]},
            markers=[*_gateway_markers(gateway["live"]), "H&E951128469", "vivo-a@secreto.example", "Producto en vivo de A", "SKU-A-VIVO",
                     "Clave de A produccion", keys[True].prefix, "Plan secreto de A (live)",
                     "Iguala secreta de A (live)", live_ppd.uuid,
                     "OPERACION-SECRETA-A-live", "Regla secreta de A (live)"],
        ),
    }


def _gateway_ids(rows: dict[str, Any]) -> dict[str, list[Any]]:
    return {"gateway_connections": [rows["connection_id"]], "signing_secrets": [rows["secret_id"]],
            "gateway_events": [rows["event_id"]], "gateway_payments": [rows["payment_id"]],
            "refunds": [rows["refund_id"]]}


def _gateway_markers(rows: dict[str, Any]) -> list[str]:
    event = WebhookEvent.objects.get(pk=rows["event_id"])
    return [rows["webhook_token"], event.event_id, Payment.objects.get(pk=rows["payment_id"]).key]


def _plan_and_schedule(org: Org, customer: Any, product: Any, *, livemode: bool) -> tuple[Plan, Schedule]:
    """A plan and an active schedule on it, named with markers only org A's responses may contain."""
    mode = "live" if livemode else "test"
    plan = create_plan(org, PlanInput(name=f"Plan secreto de A ({mode})", lines=(LineInput(product_id=product.pk),)),
                       livemode=livemode, as_of=NOW)
    schedule = create_schedule(org, ScheduleInput(customer_id=customer.pk, plan_id=plan.pk,
                                                  name=f"Iguala secreta de A ({mode})"),
                               livemode=livemode, as_of=NOW, actor="pruebas")
    return plan, activate(schedule, actor="pruebas", as_of=NOW)


def _ppd_and_payments(org: Org, customer: Any, product: Any, capture: Any) -> tuple[Invoice, list[int]]:
    """A stamped PPD invoice, a payment whose REP was stamped and one whose REP is still due."""
    with capture(execute=True):
        ppd = make_invoice(org, customer, product=product, livemode=customer.livemode, metodo_pago="PPD")
    ppd.refresh_from_db()
    ids, mode = [], "live" if customer.livemode else "test"
    for amount, run_rep in (("100.00", True), ("200.00", False)):
        with capture(execute=run_rep):
            payment, _ = record_payment(org, customer=customer, fecha_pago=NOW, forma_de_pago="03",
                                        monto=Decimal(amount), applications=[(ppd, Decimal(amount))],
                                        reference=f"OPERACION-SECRETA-A-{mode}", as_of=NOW)
        ids.append(payment.pk)
    return ppd, ids


@pytest.fixture
def org_b(org_a):
    """Org B with its own rows and an all-scopes key, in both modes."""
    org = make_org()
    for livemode in (False, True):
        customer = make_customer(org, livemode=livemode)
        make_invoice(org, customer, product=make_product(org, livemode=livemode), livemode=livemode)
    return {"org": org, "test_token": make_token(org, scopes=ALL_SCOPES),
            "live_token": make_token(org, livemode=True, scopes=ALL_SCOPES)}


def test_the_walk_covers_every_route_of_the_api():
    # given: the operations registered on the routers (the walk reads the OpenAPI schema)
    registered = {
        (method, path)
        for _, router in ninja_api._routers
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    # then: no operation is hidden from the walk
    assert registered == set(routes())
    assert len(registered) >= 18


@pytest.mark.parametrize("mode", ["test", "live"])
def test_another_orgs_key_sees_none_of_org_a_on_any_route(org_a, org_b, mode):
    # given
    before = snapshot(org_a["org"])
    victim = Victim(ids=org_a[mode].ids, markers=org_a[mode].markers + ["contabilidad-a@secreto.example"])
    # when
    leaks = walk(org_b[f"{mode}_token"], victim)
    # then
    assert leaks == []
    assert snapshot(org_a["org"]) == before


@pytest.mark.parametrize(("key_mode", "data_mode"), [("live", "test"), ("test", "live")])
def test_a_key_of_one_mode_sees_none_of_the_other_modes_data(org_a, key_mode, data_mode):
    # given
    before = snapshot(org_a["org"])
    # when: the org's own key of the other mode (org-level /org data is legitimately shared)
    leaks = walk(org_a[f"{key_mode}_token"], org_a[data_mode])
    # then
    assert leaks == []
    after = snapshot(org_a["org"])
    assert after["invoices"] == before["invoices"] and after["keys"] == before["keys"]
    assert after["customers"] == before["customers"] and after["products"] == before["products"]


def test_the_victims_own_keys_do_see_its_rows(org_a):
    # given: a sanity check that the markers and ids really are visible to their owner
    client = Client()
    headers = {"Authorization": f"Bearer {org_a['test_token']}"}
    # when
    customers = client.get(f"{BASE}/customers", headers=headers).json()["data"]
    invoice = client.get(f"{BASE}/invoices/{org_a['test'].ids['invoices'][0]}", headers=headers)
    # then
    assert [c["id"] for c in customers] == org_a["test"].ids["customers"]
    assert invoice.status_code == 200 and org_a["test"].markers[5].encode() in invoice.content


def test_an_invoice_cannot_mix_its_own_customer_with_another_orgs_product(org_a, org_b):
    # given
    own_customer = org_b["org"].customers.filter(livemode=False).first()
    # when
    response = Client().post(
        f"{BASE}/invoices", data=json.dumps({"customer_id": own_customer.pk, "forma_pago": "04",
                                            "lines": [{"product_id": org_a["test"].ids["products"][0]}]}),
        content_type="application/json", headers={"Authorization": f"Bearer {org_b['test_token']}"},
    )
    # then
    assert response.status_code == 404
    assert Invoice.objects.filter(org=org_b["org"]).count() == 2
