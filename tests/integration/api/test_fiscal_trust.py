"""Issue 10: every CFDI an accountant can trust. The bad-input catalogue as one table.

Each row is a request to POST /invoices and what must come of it, through the real API, the real
pipeline (seal, sandbox PAC with SAT's checks) and the real database:
* "refused": 422 with the row's stable code, nothing created (the caller asked for something a PAC
  or the SAT would object to, or that Timbra would otherwise have to change silently);
* "held": 202, and the invoice ends held with the row's code (the customer's or org's data is wrong:
  it waits for a correction, never dropped);
* "stamped": 202, and the invoice ends delivered, stating exactly the row's Total.

Sources: reference/reliability.md §2.4 and reference/cfdi.md §4; the issue's defects are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from tests.factories import HONORARIOS, NOW, RESICO, make_customer, make_org
from tests.integration.api.conftest import ApiClient, error_of, make_token
from timbra.customers.models import Customer
from timbra.invoicing.models import Invoice, InvoiceDocument

pytestmark = pytest.mark.django_db

D = Decimal
CFDI = "{http://www.sat.gob.mx/cfd/4}"


def line(**overrides: Any) -> dict[str, Any]:
    return {"descripcion": "Servicio profesional", "clave_prod_serv": "80101500", "clave_unidad": "E48",
            "cantidad": "1", "unit_price": "100", "taxes": ["IVA16"], **overrides}


@dataclass(frozen=True)
class Row:
    body: dict[str, Any]
    outcome: str  # refused | held | stamped
    code: str = ""  # error code (refused) or hold code (held)
    total: str = ""  # the CFDI Total (stamped)
    issuer: str = "moral"  # moral (EKU, CP 42501) | honorarios | resico | frontera (CP 22000)
    customer: dict[str, str] = field(default_factory=dict)  # customer overrides
    field: str = ""  # the error's field (refused), when the row pins it


OUT_OF_WINDOW = (NOW - timedelta(hours=72)).isoformat()
YESTERDAY = (NOW - timedelta(hours=24)).replace(tzinfo=None).isoformat()  # naive: local time at issue

CATALOGUE: dict[str, Row] = {
    # --- defect 1: ObjetoImp contradicting the taxes is refused, never "fixed" by dropping the taxes
    "objeto-01-with-iva": Row({"lines": [line(objeto_imp="01")]}, "refused", "CFDI40172", field="lines[0].objeto_imp"),
    "objeto-05-with-iva": Row({"lines": [line(objeto_imp="05")]}, "refused", "CFDI40172"),
    "objeto-03-with-iva": Row({"lines": [line(objeto_imp="03")]}, "refused", "CFDI40172"),
    "objeto-02-without-taxes": Row({"lines": [line(objeto_imp="02", taxes=[])]}, "refused", "CFDI40171"),
    "objeto-06-with-iva": Row({"lines": [line(objeto_imp="06")]}, "refused", "objeto_imp_incompatible"),
    "objeto-unknown": Row({"lines": [line(objeto_imp="09")]}, "refused", "CFDI40170"),
    "objeto-01-no-taxes": Row({"lines": [line(objeto_imp="01", taxes=[])]}, "stamped", total="100.00"),
    # --- defect 2: what answered a bare 500
    "descuento-over-importe": Row({"lines": [line(descuento="150")]}, "refused", "CFDI40169",
                                  field="lines[0].descuento"),
    "descuento-100-percent-with-iva": Row({"lines": [line(descuento="100")]}, "refused", "CFDI40174",
                                          field="lines[0].taxes"),
    # a full discount without taxes is a valid CFDI for 0.00 (a gift or a courtesy: Anexo 20 allows it)
    "descuento-100-percent-no-taxes": Row({"lines": [line(descuento="100", taxes=[], objeto_imp="01")]},
                                          "stamped", total="0.00"),
    "price-zero": Row({"lines": [line(unit_price="0")]}, "refused", "CFDI40166", field="lines[0].unit_price"),
    "price-rounds-to-zero": Row({"lines": [line(unit_price="0.004")]}, "refused", "importe_cero"),
    "price-half-centavo-rounds-up": Row({"lines": [line(unit_price="0.005")]}, "stamped", total="0.01"),
    "moneda-gtq": Row({"moneda": "GTQ", "tipo_cambio": "2.45", "lines": [line()]}, "stamped", total="116.00"),
    "moneda-unknown": Row({"moneda": "XYZ", "tipo_cambio": "2.5", "lines": [line()]}, "refused", "CFDI40113",
                          field="moneda"),
    "moneda-usd-without-tipo-cambio": Row({"moneda": "USD", "lines": [line()]}, "refused", "CFDI40115"),
    "moneda-mxn-with-tipo-cambio": Row({"tipo_cambio": "17.5", "lines": [line()]}, "refused", "CFDI40114"),
    "cantidad-huge": Row({"lines": [line(cantidad="99999999999999")]}, "refused", "importe_fuera_de_rango"),
    "price-huge": Row({"lines": [line(unit_price="99999999999999")]}, "refused", "importe_fuera_de_rango"),
    "clave-prod-serv-global": Row({"lines": [line(clave_prod_serv="01010101")]}, "refused",
                                  "clave_prod_serv_global"),
    "clave-unidad-unknown": Row({"lines": [line(clave_unidad="ZZ9")]}, "refused", "clave_unidad_invalid"),
    "clave-prod-serv-unknown": Row({"lines": [line(clave_prod_serv="99999999")]}, "refused", "clave_prod_serv_unknown"),
    "tax-unknown": Row({"lines": [line(taxes=["IVA17"])]}, "refused", "tax_invalid"),
    # --- defect 3: retentions checked against the line's IVA and against who retains from whom
    "ret-iva-2-3-on-iva-8": Row({"lines": [line(taxes=["IVA8", "RET_IVA_2_3"])]}, "refused",
                                "retencion_iva_excede_traslado", issuer="frontera_honorarios"),
    "ret-iva-without-iva": Row({"lines": [line(taxes=["IVA_EXENTO", "RET_IVA_2_3"])]}, "refused",
                               "retencion_iva_sin_traslado", issuer="honorarios"),
    "ret-resico-from-612": Row({"lines": [line(taxes=["IVA16", "RET_ISR_RESICO"])]}, "refused",
                               "retencion_resico_emisor_no_resico", issuer="honorarios"),
    "ret-isr-10-from-persona-moral": Row({"lines": [line(taxes=["IVA16", "RET_ISR_10"])]}, "refused",
                                         "retencion_emisor_persona_moral"),
    "ret-isr-10-from-resico": Row({"lines": [line(taxes=["IVA16", "RET_ISR_10"])]}, "refused",
                                  "retencion_isr_regimen_emisor", issuer="resico"),
    "ret-to-persona-fisica": Row({"lines": [line(taxes=["IVA16", "RET_ISR_10"])]}, "refused",
                                 "retencion_receptor_no_retenedor", issuer="honorarios",
                                 customer={"rfc": "FUNK671228PH6", "nombre": "KARLA FUENTE NOLASCO",
                                           "regimen_fiscal": "626", "codigo_postal": "01160"}),
    "honorarios-retentions": Row({"lines": [line(unit_price="10000", taxes=["IVA16", "RET_IVA_2_3", "RET_ISR_10"])]},
                                 "stamped", total="9533.33", issuer="honorarios"),
    "resico-retentions": Row({"lines": [line(unit_price="10000", taxes=["IVA16", "RET_IVA_2_3", "RET_ISR_RESICO"])]},
                             "stamped", total="10408.33", issuer="resico"),
    # IVA 4 % on ground freight is retained by the (persona moral) customer whatever the carrier is
    "ret-iva-4-autotransporte-from-persona-moral": Row(
        {"lines": [line(unit_price="1000", taxes=["IVA16", "RET_IVA_4"])]}, "stamped", total="1120.00"),
    # --- defect 4: IVA 8 % only where c_CodigoPostal grants the border estímulo
    "iva-8-outside-the-border": Row({"lines": [line(taxes=["IVA8"])]}, "refused", "CFDI40179",
                                    field="lines[0].taxes"),
    "iva-8-in-tijuana": Row({"lines": [line(taxes=["IVA8"])]}, "stamped", total="108.00", issuer="frontera"),
    # --- defect 5: PPD takes forma 99; another forma is refused, not silently replaced
    "ppd-with-forma-03": Row({"metodo_pago": "PPD", "forma_pago": "03", "lines": [line()]}, "refused",
                             "CFDI40105", field="forma_pago"),
    "ppd-without-forma": Row({"metodo_pago": "PPD", "forma_pago": None, "lines": [line()]}, "stamped", total="116.00"),
    "pue-with-forma-99": Row({"forma_pago": "99", "lines": [line()]}, "refused", "forma_pago_required"),
    # --- defect 6: half up at the currency's decimals; money invoiced equals money received
    "forty-eighths-of-a-peso": Row({"lines": [line(unit_price="0.125", taxes=[], objeto_imp="01")] * 40},
                                   "stamped", total="5.20"),
    "yen-half": Row({"moneda": "JPY", "tipo_cambio": "0.12", "lines": [line(unit_price="100.5", taxes=[],
                                                                             objeto_imp="01")]},
                    "stamped", total="101"),
    "four-centavos-with-iva": Row({"lines": [line(unit_price="0.04", price_includes_taxes=True)]}, "stamped",
                                  total="0.04"),
    # --- defect 8: a tax-inclusive price lands exactly on the gross
    "gross-3923.37": Row({"lines": [line(unit_price="3923.37", price_includes_taxes=True)]}, "stamped",
                         total="3923.37"),
    "gross-with-retentions-comes-off": Row(
        {"lines": [line(unit_price="11600", price_includes_taxes=True, taxes=["IVA16", "RET_IVA_2_3", "RET_ISR_10"])]},
        "stamped", total="9533.33", issuer="honorarios"),
    # --- defect 7: Fecha within SAT's 72-hour window
    "fecha-yesterday-local": Row({"fecha": YESTERDAY, "lines": [line()]}, "stamped", total="116.00"),
    "fecha-future": Row({"fecha": (NOW + timedelta(minutes=5)).isoformat(), "lines": [line()]}, "refused",
                        "fecha_fuera_de_rango", field="fecha"),
    "fecha-72-hours-ago": Row({"fecha": OUT_OF_WINDOW, "lines": [line()]}, "refused", "fecha_fuera_de_rango"),
    # --- defect 9: text a CFDI cannot carry is refused at the API, with the field
    "control-character-in-descripcion": Row({"lines": [line(descripcion="Servicio\u0003")]}, "refused",
                                            "texto_invalido", field="lines[0].descripcion"),
    "control-character-in-unidad": Row({"lines": [line(unidad="Pza\u0007")]}, "refused", "texto_invalido",
                                       field="lines[0].unidad"),
    "pipe-in-descripcion": Row({"lines": [line(descripcion="Plan | Pro")]}, "refused", "texto_invalido"),
    "descripcion-over-1000-characters": Row({"lines": [line(descripcion="x" * 1001)]}, "refused", "validation_error",
                                            field="lines[0].descripcion"),
    "pipe-in-serie": Row({"serie": "A|B", "lines": [line()]}, "refused", "texto_invalido", field="serie"),
    "control-character-in-condiciones": Row({"condiciones_de_pago": "30 días\u0000", "lines": [line()]}, "refused",
                                            "texto_invalido"),
    # --- the receptor's data (reliability.md §2.4, B1): held with SAT's code until corrected
    "receptor-name-not-registered": Row({"lines": [line()]}, "held", "CFDI40145",
                                        customer={"nombre": "UNIVERSIDAD ROBOTICA"}),
    "receptor-cp-not-registered": Row({"lines": [line()]}, "held", "CFDI40147", customer={"codigo_postal": "86990"}),
    "receptor-regimen-not-registered": Row({"lines": [line()]}, "held", "CFDI40158",
                                           customer={"regimen_fiscal": "603"}),
    "receptor-rfc-not-registered": Row({"lines": [line()]}, "held", "CFDI40143",
                                       customer={"rfc": "AAA010101AAA", "nombre": "EMPRESA DE PRUEBA"}),
}

ISSUERS: dict[str, dict[str, str]] = {
    "moral": {},
    "honorarios": HONORARIOS,
    "resico": RESICO,
    "frontera": {"lugar_expedicion": "22000"},
    "frontera_honorarios": {**HONORARIOS, "lugar_expedicion": "22000"},
}


def _send(row: Row, capture: Any) -> tuple[Any, Invoice | None]:
    org = make_org(**ISSUERS[row.issuer])
    customer = make_customer(org, **row.customer)
    api = ApiClient(make_token(org))
    body = {"customer_id": customer.pk, "forma_pago": "03", **row.body}
    body = {k: v for k, v in body.items() if v is not None}
    with capture(execute=True):
        response = api.post("/invoices", body)
    invoice = Invoice.objects.filter(org=org).first()
    return response, invoice


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_bad_input_is_refused_or_held_with_its_code_and_good_ones_stamp_exactly(
    name: str, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    row = CATALOGUE[name]
    response, invoice = _send(row, django_capture_on_commit_callbacks)
    if row.outcome == "refused":
        assert response.status_code == 422, response.content
        error = error_of(response)
        assert error["code"] == row.code, error
        assert error["message"]  # Spanish, for people
        if row.field:
            assert error["field"] == row.field, error
        assert invoice is None  # nothing half-created
        return
    assert response.status_code == 202, response.content
    assert invoice is not None
    invoice.refresh_from_db()
    if row.outcome == "held":
        assert (invoice.status, invoice.hold_code) == ("held", row.code), invoice.hold_message
        assert invoice.hold_message
        return
    assert invoice.status == "delivered", (invoice.hold_code, invoice.hold_message)
    root = etree.fromstring(bytes(InvoiceDocument.objects.get(invoice=invoice).stamped_xml))
    assert root.get("Total") == row.total
    assert f"{invoice.total:f}" == f"{D(row.total):.2f}" or root.get("Moneda") == "JPY"


def test_what_the_api_shows_is_what_the_cfdi_says_for_objeto_imp_and_taxes(
    frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # defect 1 as reported: the API showed ["IVA16"] on a line stamped without it
    response, invoice = _send(Row({"lines": [line(objeto_imp="02")]}, "stamped"), django_capture_on_commit_callbacks)
    assert response.json()["lines"][0]["taxes"] == ["IVA16"]
    root = etree.fromstring(bytes(InvoiceDocument.objects.get(invoice=invoice).stamped_xml))
    concepto = root.find(f"{CFDI}Conceptos/{CFDI}Concepto")
    assert concepto.get("ObjetoImp") == "02"
    assert [t.get("Impuesto") for t in concepto.iter(f"{CFDI}Traslado")] == ["002"]
    assert root.get("Total") == "116.00"


def test_several_problems_are_all_reported_in_one_answer(frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    response, _ = _send(Row({"lines": [line(objeto_imp="01"), line(descuento="500")]}, "refused"),
                        django_capture_on_commit_callbacks)
    error = error_of(response)
    assert error["code"] == "CFDI40172" and error["message"].startswith("Partida 1:")
    assert [(d["code"], d["field"]) for d in error["details"]] == [
        ("CFDI40172", "lines[0].objeto_imp"), ("CFDI40169", "lines[1].descuento"),
        ("CFDI40174", "lines[1].taxes"),
    ]


def test_a_requested_fecha_is_the_cfdi_fecha_in_local_time(frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    response, invoice = _send(Row({"fecha": "2026-11-19T18:30:00-08:00", "lines": [line()]}, "stamped"),
                              django_capture_on_commit_callbacks)
    assert response.status_code == 202
    root = etree.fromstring(bytes(InvoiceDocument.objects.get(invoice=invoice).stamped_xml))
    # 18:30 in Tijuana is 20:30 at the place of issue (Pachuca, Mexico City time)
    assert root.get("Fecha") == "2026-11-19T20:30:00"


def test_a_requested_fecha_that_goes_stale_while_held_stays_held_with_the_window_reason(
    frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given an invoice for yesterday whose customer data is wrong (held), corrected three days later
    row = Row({"fecha": YESTERDAY, "lines": [line()]}, "held", customer={"codigo_postal": "86990"})
    _, invoice = _send(row, django_capture_on_commit_callbacks)
    assert invoice.status == "held"
    Customer.objects.filter(pk=invoice.customer_id).update(codigo_postal="86991")
    frozen.shift(timedelta(hours=60))
    from django.utils import timezone

    from timbra.invoicing.actions import retry_invoice

    with django_capture_on_commit_callbacks(execute=True):
        retry_invoice(invoice, as_of=timezone.now(), actor="prueba")
    invoice.refresh_from_db()
    # then the date is never changed behind the business's back: held, saying why
    assert (invoice.status, invoice.hold_code) == ("held", "401")
    assert "72 horas" in invoice.hold_message
