"""The rules engine at the edge: a Payment's decision, and the InvoiceInput it asks for.

`invoice_payment` and the preview both go through `decide` and `build_request`, so what a
preview shows is what the payment would really produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from timbra.domain.invoicing_rules import (
    Decision,
    PaymentFacts,
    Rule,
    RuleOutcome,
    evaluate,
    render_description,
)
from timbra.domain.text import clean_text
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.payments.models import GatewayConnection, Payment
from timbra.payments.rules.facts import fact_line, payment_facts
from timbra.payments.rules.rates import rate_source_for
from timbra.payments.rules.services import rules_of, to_rule


def connection_default(connection: GatewayConnection) -> Decision:
    """What a payment no rule matches gets: the connection's keys, prices with IVA 16 % included
    (gateway amounts are what the customer paid), objeto de impuesto 02."""
    return Decision(
        clave_prod_serv=connection.default_clave_prod_serv,
        clave_unidad=connection.default_clave_unidad,
        unidad=connection.default_unidad,
    )


def org_rules(payment: Payment) -> list[Rule]:
    return [to_rule(row) for row in rules_of(payment.org, livemode=payment.livemode)]


def decide(payment: Payment, rules: Sequence[Rule] | None = None, *, facts: PaymentFacts | None = None) -> RuleOutcome:
    """The decision for `payment`: its org's rules (or `rules`, a preview's), first match wins.
    `facts`: already read (the factura global decides thousands of payments at once)."""
    chosen = org_rules(payment) if rules is None else list(rules)
    return evaluate(facts or payment_facts(payment), chosen, connection_default(payment.connection))


def skip_reason(outcome: RuleOutcome) -> str:
    """Spanish, shown on the payment that a rule said not to invoice."""
    name = outcome.rule.name if outcome.rule else "predeterminada"
    reason = outcome.decision.skip_reason or "la regla indica no facturar estos pagos"
    return f"No se factura por la regla «{name}»: {reason}"


def build_request(
    payment: Payment, outcome: RuleOutcome, *, customer_id: int, uso: str, facts: PaymentFacts | None = None
) -> InvoiceInput:
    """One Ingreso PUE for the payment, shaped by the decision. `uso` (the payment's own,
    from its metadata) beats the rule's default, which beats the customer's."""
    decision = outcome.decision
    facts = facts or payment_facts(payment)
    lines = tuple(
        LineInput(
            # Gateway text (a charge's description) may carry characters a CFDI cannot: the
            # description is ours to write, so they are cleaned, not refused (issue 10, defect 9).
            # A rendered template may also run past SAT's 1,000 characters: cut, since it is ours too.
            descripcion=clean_text(render_description(decision.description_template, facts, fact_line(line)))[:1000],
            cantidad=Decimal(line["cantidad"]),
            # A per-unit gross; line_from_gross re-derives a ValorUnitario whose Total
            # is exactly what was paid (issue 10).
            unit_price=Decimal(line["amount"]) / Decimal(line["cantidad"]),
            price_includes_taxes=decision.price_includes_taxes,
            clave_prod_serv=decision.clave_prod_serv,
            clave_unidad=decision.clave_unidad,
            unidad=decision.unidad,
            objeto_imp=decision.objeto_imp,
            taxes=decision.taxes,
            no_identificacion=clean_text(line.get("price_id") or "")[:100] or None,
        )
        for line in payment.lines
    )
    return InvoiceInput(
        customer_id=customer_id,
        lines=lines,
        metodo_pago="PUE",  # the gateway says it is paid in full
        forma_pago=payment.forma_pago,
        moneda=payment.currency,
        tipo_cambio=exchange_rate(payment),
        serie=decision.serie or None,
        uso_cfdi=uso or decision.uso_cfdi or None,
        send_email=decision.send_email,
        source=payment.provider,
        source_id=payment.key,
    )


def exchange_rate(payment: Payment) -> Decimal | None:
    """TipoCambio: the gateway's rate, else the org's configured source; unknown holds the payment."""
    if payment.currency == "MXN":
        return None
    if payment.exchange_rate is not None:
        return payment.exchange_rate
    source = rate_source_for(payment.org)
    day = payment.paid_at.astimezone(ZoneInfo(payment.org.timezone)).date()
    rate = source.rate(payment.currency, day) if source is not None else None
    if rate is None:
        raise InvoicingError(
            "exchange_rate_unknown",
            f"Pago en {payment.currency} sin tipo de cambio: la pasarela no lo dio y la fuente configurada "
            "de la organización no lo conoce. Configura un tipo de cambio en Reglas de facturación y "
            "vuelve a procesar el evento.",
            field="tipo_cambio",
        )
    return rate
