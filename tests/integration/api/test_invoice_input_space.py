"""Issue 10: over the whole invoice input space, the API never answers 5xx, and every request it
accepts ends stamped or held with a reason (never stuck in draft, never a crashed worker)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.factories import HONORARIOS, make_customer, make_org
from tests.integration.api.conftest import ApiClient, make_token
from timbra.invoicing.models import Invoice

pytestmark = pytest.mark.django_db

D = Decimal
TAXES = [[], ["IVA16"], ["IVA8"], ["IVA0"], ["IVA_EXENTO"], ["IVA16", "RET_IVA_2_3", "RET_ISR_10"],
         ["IVA16", "RET_ISR_RESICO"], ["IVA8", "RET_IVA_2_3"], ["RET_IVA_4"], ["IVA16", "RET_IVA_4"],
         ["IVA16", "IVA8"], ["IVA17"]]
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=30)


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[str]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places, allow_nan=False).map(lambda d: f"{d:f}")


def mostly(usual: Any, *unusual: Any) -> st.SearchStrategy[Any]:
    """`usual` most of the time, so most requests get far enough to be sealed and stamped."""
    return st.sampled_from([usual] * (12 * len(unusual) or 1) + list(unusual))


lines = st.fixed_dictionaries(
    {
        "descripcion": st.one_of(*[st.just("Servicio de consultoría")] * 8, TEXT),
        "clave_prod_serv": mostly("80101500", "81112101", "01010101", "8011", "84111506"),
        "clave_unidad": mostly("E48", "H87", "ACT", "ZZ9"),
        "cantidad": st.one_of(decimals("0.000001", "10", 6), decimals("1", "100000", 0)),
        "unit_price": st.one_of(decimals("0", "2", 6), decimals("0", "100000", 2), st.just("99999999999999")),
        "taxes": st.one_of(*[st.just(["IVA16"])] * 6, st.sampled_from(TAXES)),
    },
    optional={
        "descuento": decimals("0", "500", 2),
        "objeto_imp": mostly("02", "01", "03", "04", "05", "06", "07", "08", "09", ""),
        "price_includes_taxes": st.booleans(),
        "unidad": st.one_of(*[st.just("Servicio")] * 6, TEXT.map(lambda s: s[:20])),
        "no_identificacion": st.one_of(*[st.just("SKU-1")] * 6, TEXT),
    },
)

@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    metodo = draw(mostly("PUE", "PPD", "XYZ"))
    moneda = draw(mostly("MXN", "USD", "JPY", "CLF", "GTQ", "XYZ", "XXX"))
    body = {
        "lines": draw(st.lists(lines, min_size=1, max_size=3)),
        "metodo_pago": metodo,
        "forma_pago": draw(mostly(None if metodo == "PPD" else "03", "04", "28", "99", "00", None)),
        "moneda": moneda,
        "tipo_cambio": draw(mostly(None if moneda == "MXN" else "17.25", "1", "0.000001", None)),
        "serie": draw(mostly(None, "F", "A|B", "Z\u0001")),
        "condiciones_de_pago": draw(mostly(None, "Contado", "30 días\u0000", "")),
        "fecha": draw(mostly(None, "2026-11-20T09:00:00", "2026-11-17T09:00:00", "2026-11-21T09:00:00",
                             "2026-11-19T23:59:59-08:00")),
    }
    return {k: v for k, v in body.items() if v is not None}


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies(), who=st.integers(min_value=0, max_value=3))
def test_the_api_never_answers_5xx_and_whatever_it_accepts_ends_stamped_or_held_with_a_reason(
    body: dict[str, Any], who: int, frozen: Any, django_capture_on_commit_callbacks: Any, parties: Any
) -> None:
    api, customers = parties
    with django_capture_on_commit_callbacks(execute=True):
        response = api[who % 2].post("/invoices", {"customer_id": customers[who].pk, **body})
    assert response.status_code < 500, response.content
    if response.status_code != 202:
        assert response.status_code in {404, 422}, response.content
        error = response.json()["error"]
        assert error["code"] and error["message"]
        event(f"refused {error['code']}")
        return
    invoice = Invoice.objects.get(pk=response.json()["id"])
    assert invoice.status in {"delivered", "held"}, invoice.status
    event(f"{invoice.status} {invoice.hold_code}")
    if invoice.status == "held":
        assert invoice.hold_code and invoice.hold_message


@pytest.fixture
def parties(db: Any, frozen: Any) -> tuple[list[ApiClient], list[Any]]:
    """Two issuers (a persona moral, a persona física in honorarios) and, for each, a customer the
    sandbox knows and one whose name it does not (held)."""
    moral, fisica = make_org(), make_org(**HONORARIOS)
    customers = [
        make_customer(moral),
        make_customer(fisica),
        make_customer(moral, rfc="FUNK671228PH6", nombre="KARLA FUENTE NOLASCO", regimen_fiscal="626",
                      codigo_postal="01160", uso_cfdi="G03"),
        make_customer(fisica, nombre="UNIVERSIDAD ROBOTICA"),
    ]
    return [ApiClient(make_token(moral)), ApiClient(make_token(fisica))], customers
