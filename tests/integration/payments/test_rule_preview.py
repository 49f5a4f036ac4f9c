""""What would this charge produce?": a saved or draft rule tried against a stored event or
payment shows the invoice it would make, and creates nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import NOW, make_org
from tests.unit.payments.stripe_events import body, event, sign
from timbra.customers.models import Customer
from timbra.invoicing.errors import NotFound
from timbra.invoicing.models import Invoice, InvoiceLine
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules.models import InvoicingRule
from timbra.payments.rules.preview import preview_payment
from timbra.payments.rules.services import create_rule, draft_rule

pytestmark = pytest.mark.django_db

DRAFT = {"name": "Cursos", "description_contains": "robótica", "clave_prod_serv": "86121700",
         "taxes": ["IVA16", "RET_IVA_4"], "serie": "CUR", "uso_cfdi": "D10", "send_email": False}


def counts():
    return {model.__name__: model.objects.count()
            for model in (Invoice, InvoiceLine, Payment, Customer, WebhookEvent, InvoicingRule)}


def store_only(connection, data, capture):
    """Receive an event the way Stripe sends it, without running the job that processes it."""
    payload = body(data)
    with capture(execute=False):
        response = Client().post(f"/hooks/stripe/{connection.webhook_token}", data=payload,
                                 content_type="application/json",
                                 headers={"Stripe-Signature": sign(payload, timestamp=int(NOW.timestamp()))})
    assert response.status_code == 200
    return WebhookEvent.objects.get(event_id=data["id"])


def test_a_draft_rule_previews_an_unprocessed_event_and_creates_nothing(
    org, connection, django_capture_on_commit_callbacks
):
    # given an event stored but never processed (no payment, no customer yet)
    stored = store_only(connection, event("charge_succeeded_oneoff"), django_capture_on_commit_callbacks)
    before = counts()
    # when a draft rule is tried against it
    result = preview_payment(org, livemode=False, as_of=NOW, draft=draft_rule(DRAFT), event_id=stored.pk)
    # then it shows the invoice the rule would produce
    assert result.would_invoice and result.rule_name == "Cursos"
    assert (result.invoice.serie, result.invoice.uso_cfdi, result.invoice.send_email) == ("CUR", "D10", False)
    assert [(line.clave_prod_serv, line.taxes) for line in result.lines] == [("86121700", ["IVA16", "RET_IVA_4"])]
    assert result.invoice.total_retenciones > 0
    assert result.invoice.customer.rfc == "URE180429TM6"
    assert any("aplica por descripción" in note for note in result.outcome.explanation)
    # and nothing was created: no payment, customer, invoice or rule
    assert counts() == before
    assert WebhookEvent.objects.get().status == WebhookEvent.RECEIVED


def test_previewing_a_processed_payment_with_an_edited_rule_shows_the_change_only(org, connection, deliver):
    # given a rule and a payment already invoiced by it
    saved = create_rule(org, {**DRAFT, "serie": "OLD"}, livemode=False, as_of=NOW)
    deliver(connection, event("charge_succeeded_oneoff"))
    assert Invoice.objects.get().serie == "OLD"
    before = counts()
    # when the rule's edit is previewed against that payment
    draft = draft_rule({**DRAFT, "serie": "NEW"}, rule_id=saved.pk)
    result = preview_payment(org, livemode=False, as_of=NOW, draft=draft, payment_id=Payment.objects.get().pk)
    # then the preview uses the edit in the rule's place; the saved rule and invoice stay
    assert result.invoice.serie == "NEW" and result.invoice.total == Decimal("580.00") - result.invoice.total_retenciones
    assert counts() == before
    assert InvoicingRule.objects.get().serie == "OLD"


def test_a_skip_rule_and_a_rule_passed_over_are_explained(org, connection, deliver):
    create_rule(org, {"name": "Primero", "currencies": ["USD"]}, livemode=False, as_of=NOW)
    deliver(connection, event("charge_succeeded_oneoff"))
    skip = draft_rule({"name": "No facturar", "invoice": False, "skip_reason": "mostrador"})
    result = preview_payment(org, livemode=False, as_of=NOW, draft=skip, event_id=WebhookEvent.objects.get().pk)
    assert not result.would_invoice and result.code == "skipped_by_rule" and "mostrador" in result.reason
    assert "«Primero»: no aplica, la moneda es MXN" in result.outcome.explanation[0]


def test_an_event_that_is_not_a_payment_previews_no_invoice(org, connection, django_capture_on_commit_callbacks):
    stored = store_only(connection, event("charge_succeeded_oneoff", captured=False),
                        django_capture_on_commit_callbacks)
    result = preview_payment(org, livemode=False, as_of=NOW, event_id=stored.pk)
    assert not result.would_invoice and result.code == "event_not_a_payment" and "sin capturar" in result.reason


def test_another_orgs_event_is_not_found(org, connection, deliver):
    deliver(connection, event("charge_succeeded_oneoff"))
    other = make_org()
    with pytest.raises(NotFound):
        preview_payment(other, livemode=False, as_of=NOW, event_id=WebhookEvent.objects.get().pk)
    with pytest.raises(NotFound):
        preview_payment(org, livemode=True, as_of=NOW, payment_id=Payment.objects.get().pk)
