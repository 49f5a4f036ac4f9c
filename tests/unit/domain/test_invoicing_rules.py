"""Invoicing rules: first enabled match wins, every condition type, skip rules, safe templates,
and the SAT checks a rule must pass before it is saved."""

from __future__ import annotations

from decimal import Decimal

import pytest

from timbra.domain.invoicing_rule_checks import check_rule
from timbra.domain.invoicing_rules import (
    Conditions,
    Decision,
    FactLine,
    PaymentFacts,
    Rule,
    evaluate,
    render_description,
)

DEFAULT = Decision(clave_prod_serv="81112101")
LINE = FactLine("Plan Pro mensual", Decimal(1), Decimal("1160.00"), price_id="price_pro", product_id="prod_pro")
FACTS = PaymentFacts(
    provider="stripe", transaction_type="subscription", currency="MXN", amount=Decimal("1160.00"),
    description="Factura F-1 de Stripe", lines=(LINE,), metadata={"canal": "web", "plan": "pro"},
    customer_name="Universidad Robótica", periodo="noviembre 2026", reference="pi_123",
)


def rule(name: str, *, enabled: bool = True, **conditions: object) -> Rule:
    return Rule(id=None, name=name, conditions=Conditions(**conditions),  # type: ignore[arg-type]
                decision=Decision(clave_prod_serv="43232408", serie=name[:25]), enabled=enabled)


def test_the_first_matching_rule_wins_over_later_ones():
    outcome = evaluate(FACTS, [rule("primera", currencies=("MXN",)), rule("segunda")], DEFAULT)
    assert outcome.rule is not None and outcome.rule.name == "primera"
    assert outcome.decision.serie == "primera"


def test_no_match_uses_the_default_and_says_so():
    outcome = evaluate(FACTS, [rule("usd", currencies=("USD",))], DEFAULT)
    assert outcome.rule is None and outcome.decision is DEFAULT
    assert "la moneda es MXN" in outcome.explanation[0]
    assert "predeterminados" in outcome.explanation[-1]


def test_a_disabled_rule_is_passed_over():
    outcome = evaluate(FACTS, [rule("apagada", enabled=False), rule("encendida")], DEFAULT)
    assert outcome.rule is not None and outcome.rule.name == "encendida"
    assert "desactivada" in outcome.explanation[0]


@pytest.mark.parametrize(("conditions", "matches"), [
    ({"product_ids": ("prod_pro",)}, True),
    ({"product_ids": ("price_pro",)}, True),
    ({"product_ids": ("prod_basico",)}, False),
    ({"metadata": (("canal", "web"),)}, True),
    ({"metadata": (("canal", "tienda"),)}, False),
    ({"metadata": (("no_existe", "x"),)}, False),
    ({"description_contains": "plan pro"}, True),  # case-insensitive, in a line's description
    ({"description_contains": "stripe"}, True),  # or the payment's
    ({"description_contains": "curso"}, False),
    ({"currencies": ("MXN", "USD")}, True),
    ({"currencies": ("USD",)}, False),
    ({"amount_min": Decimal("1160.00")}, True),  # inclusive
    ({"amount_min": Decimal("1160.01")}, False),
    ({"amount_max": Decimal("1160.00")}, True),
    ({"amount_max": Decimal("1159.99")}, False),
    ({"providers": ("stripe",)}, True),
    ({"providers": ("conekta",)}, False),
    ({"transaction_types": ("subscription",)}, True),
    ({"transaction_types": ("one_off",)}, False),
    ({"currencies": ("MXN",), "amount_max": Decimal(100)}, False),  # ANDed
])
def test_each_condition_type(conditions, matches):
    outcome = evaluate(FACTS, [rule("r", **conditions)], DEFAULT)
    assert (outcome.rule is not None) is matches


def test_a_skip_rule_decides_not_to_invoice_with_its_reason():
    skip = Rule(id=1, name="Donativos", conditions=Conditions(metadata=(("tipo", "donativo"),)),
                decision=Decision(invoice=False, skip_reason="los donativos no se facturan"))
    facts = PaymentFacts(provider="stripe", transaction_type="one_off", currency="MXN", amount=Decimal(50),
                         metadata={"tipo": "donativo"})
    outcome = evaluate(facts, [skip], DEFAULT)
    assert outcome.decision.invoice is False and outcome.decision.skip_reason == "los donativos no se facturan"


def test_description_template_fills_known_placeholders_only():
    text = render_description("{descripcion} — {periodo} ({cliente}) ref {referencia} {producto}/{precio}", FACTS, LINE)
    assert text == "Plan Pro mensual — noviembre 2026 (Universidad Robótica) ref pi_123 prod_pro/price_pro"


@pytest.mark.parametrize("template", ["{descripcion.__class__}", "{0}", "{descripcion!r}", "{__import__}"])
def test_a_template_cannot_reach_attributes_or_code(template):
    assert render_description(template, FACTS, LINE) == "Plan Pro mensual"  # blank → the line's own
    assert check_rule("r", Conditions(), Decision(description_template=template))[0].code == (
        "template_placeholder_unknown")


def test_an_empty_template_keeps_the_line_description():
    assert render_description("", FACTS, LINE) == "Plan Pro mensual"


@pytest.mark.parametrize(("decision", "code", "field"), [
    (Decision(clave_prod_serv="123"), "clave_prod_serv_invalid", "decision.clave_prod_serv"),
    (Decision(clave_prod_serv="01010101"), "clave_prod_serv_invalid", "decision.clave_prod_serv"),
    (Decision(clave_unidad="ZZZ"), "clave_unidad_invalid", "decision.clave_unidad"),
    (Decision(uso_cfdi="X99"), "uso_cfdi_invalid", "decision.uso_cfdi"),
    (Decision(serie="A|B"), "serie_invalid", "decision.serie"),
    (Decision(objeto_imp="09"), "objeto_imp_invalid", "decision.objeto_imp"),
    (Decision(taxes=("IVA99",)), "tax_invalid", "decision.taxes"),
    (Decision(taxes=("IVA16", "IVA8")), "tax_invalid", "decision.taxes"),
    (Decision(taxes=("RET_ISR_10",)), "taxes_required", "decision.taxes"),
    (Decision(objeto_imp="01", taxes=("IVA16",)), "taxes_not_allowed", "decision.taxes"),
])
def test_decisions_are_checked_against_sat_catalogs(decision, code, field):
    problems = check_rule("r", Conditions(), decision)
    assert (problems[0].code, problems[0].field) == (code, field)


def test_a_valid_rule_with_retentions_has_no_problems():
    decision = Decision(clave_prod_serv="80111600", clave_unidad="E48", taxes=("IVA16", "RET_IVA_2_3", "RET_ISR_10"),
                        uso_cfdi="G03", serie="HON")
    assert check_rule("Honorarios", Conditions(currencies=("MXN",)), decision) == []


@pytest.mark.parametrize(("conditions", "code"), [
    (Conditions(currencies=("XYZ",)), "currency_invalid"),
    (Conditions(amount_min=Decimal(10), amount_max=Decimal(5)), "amount_range_invalid"),
    (Conditions(amount_min=Decimal(-1)), "amount_range_invalid"),
    (Conditions(providers=("paypal",)), "provider_invalid"),
    (Conditions(transaction_types=("refund",)), "transaction_type_invalid"),
    (Conditions(metadata=(("", "x"),)), "metadata_key_required"),
])
def test_conditions_are_checked(conditions, code):
    assert check_rule("r", conditions, Decision())[0].code == code


def test_a_rule_needs_a_name_and_a_skip_rule_needs_no_sat_keys():
    assert check_rule(" ", Conditions(), Decision())[0].code == "rule_name_required"
    assert check_rule("No facturar", Conditions(), Decision(invoice=False, clave_prod_serv="x")) == []
