""""What would this charge produce?": a rule (saved or draft) tried against a stored event or
payment, without creating anything.

The preview runs the real path (record the payment, pick the rule, match the customer, build
the request, `prepare_invoice`) inside a transaction that is always rolled back, so what it
shows is exactly what processing would issue and nothing it touched survives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from timbra.domain.invoicing_rules import Rule, RuleOutcome
from timbra.invoicing.create import prepare_invoice
from timbra.invoicing.errors import InvoicingError, NotFound
from timbra.invoicing.models import Invoice, InvoiceLine
from timbra.orgs.models import Org
from timbra.payments.gateways.base import ChainedLookups, NormalizedPayment, Skip
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules.apply import build_request, decide, org_rules, skip_reason
from timbra.payments.services.adapters import PaymentRecordLookups, adapter_for
from timbra.payments.services.match_customer import match_customer
from timbra.payments.services.record_payment import record_payment


@dataclass
class Preview:
    """The invoice a payment would produce (unsaved), or why it would produce none."""

    payment: Payment | None = None
    outcome: RuleOutcome | None = None
    invoice: Invoice | None = None
    lines: list[InvoiceLine] = field(default_factory=list)
    would_invoice: bool = False
    reason: str = ""  # Spanish: why no invoice (skip rule, missing fiscal data, bad config)
    code: str = ""  # stable code of `reason`

    @property
    def rule_name(self) -> str:
        return self.outcome.rule.name if self.outcome and self.outcome.rule else ""


class _Rollback(Exception):
    """Leaves the preview's transaction, undoing every write it made."""


def preview_payment(
    org: Org,
    *,
    livemode: bool,
    as_of: datetime,
    draft: Rule | None = None,
    position: int | None = None,
    event_id: int | None = None,
    payment_id: int | None = None,
) -> Preview:
    """Try the org's rules (with `draft` in place of its saved version, or inserted at
    `position`, 1-based, default last) against a stored event or payment of the org."""
    result = Preview()
    try:
        with transaction.atomic():
            payment = _payment(org, livemode=livemode, as_of=as_of, event_id=event_id, payment_id=payment_id,
                               result=result)
            if payment is not None:
                _fill(result, payment, with_draft(org_rules(payment), draft, position), as_of=as_of)
            raise _Rollback
    except _Rollback:
        pass
    return result


def with_draft(rules: list[Rule], draft: Rule | None, position: int | None) -> list[Rule]:
    """The rule list as it would be once `draft` is saved."""
    if draft is None:
        return rules
    if draft.id is not None and any(r.id == draft.id for r in rules):
        return [draft if r.id == draft.id else r for r in rules]
    at = len(rules) if position is None else min(max(position, 1) - 1, len(rules))
    return [*rules[:at], draft, *rules[at:]]


def _payment(
    org: Org, *, livemode: bool, as_of: datetime, event_id: int | None, payment_id: int | None, result: Preview
) -> Payment | None:
    if payment_id is not None:
        payment = Payment.objects.filter(pk=payment_id, org=org, livemode=livemode).first()
        if payment is None:
            raise NotFound("pago")
        return payment
    event = WebhookEvent.objects.select_related("connection").filter(pk=event_id, org=org, livemode=livemode).first()
    if event is None:
        raise NotFound("evento")
    if event.payment_id is not None:
        return Payment.objects.get(pk=event.payment_id)
    # Offline lookups only: a preview never calls the gateway's API.
    adapter = adapter_for(event.connection, lookups=ChainedLookups([PaymentRecordLookups(event.connection)]))
    outcome = adapter.normalize(adapter.parse_stored(event.payload))
    if isinstance(outcome, NormalizedPayment):
        return record_payment(event.connection, outcome, as_of=as_of)
    result.code = "event_not_a_payment"
    result.reason = outcome.reason if isinstance(outcome, Skip) else "Este evento no es un pago: no genera factura."
    return None


def _fill(result: Preview, payment: Payment, rules: list[Rule], *, as_of: datetime) -> None:
    payment = Payment.objects.select_related("org", "connection").get(pk=payment.pk)
    result.payment = payment
    result.outcome = outcome = decide(payment, rules)
    if not payment.invoiceable:
        result.code, result.reason = "payment_not_invoiceable", payment.status_reason
        return
    if not outcome.decision.invoice:
        result.code, result.reason = "skipped_by_rule", skip_reason(outcome)
        return
    match = match_customer(payment, as_of=as_of)
    if match.customer is None:
        result.code, result.reason = "awaiting_fiscal_data", match.reason
        return
    try:
        request = build_request(payment, outcome, customer_id=match.customer.pk, uso=match.uso_cfdi)
        result.invoice, result.lines = prepare_invoice(payment.org, request, livemode=payment.livemode, as_of=as_of)
    except InvoicingError as exc:
        result.code, result.reason = exc.code, f"No se podría crear la factura: {exc.message}"
        return
    result.would_invoice = True
