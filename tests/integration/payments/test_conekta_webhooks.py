"""POST /hooks/conekta/<token>: one CFDI per paid order, whatever the deliveries; refunds credit it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from tests.unit.payments.conekta_events import ORDER_ID, body, order_paid, order_refunded, public_pem, sign
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.models import GatewayConnection, Payment, Refund, WebhookEvent
from timbra.payments.services.connections import add_signing_secret

pytestmark = pytest.mark.django_db


def test_a_signed_order_paid_is_stored_and_becomes_one_delivered_invoice(conekta, post_hook):
    data = order_paid()

    response = post_hook.conekta(conekta, data)

    assert response.status_code == 200 and response.json() == {"received": True, "duplicate": False}
    stored = WebhookEvent.objects.get()
    assert stored.payload.encode() == body(data) and stored.status == WebhookEvent.PROCESSED
    invoice = Invoice.objects.get()
    assert (invoice.source, invoice.source_id, invoice.status) == ("conekta", ORDER_ID, InvoiceStatus.DELIVERED)
    assert (invoice.total, invoice.forma_pago, invoice.metodo_pago) == (Decimal("1160.00"), "04", "PUE")
    assert [line.descripcion for line in invoice.lines.order_by("pk")] == ["Curso de robótica, mensualidad",
                                                                           "Kit de sensores"]
    assert invoice.customer.rfc == "URE180429TM6"
    assert invoice.customer.external_id == "conekta:cus_2tKcHxhTz7xU5SymF"
    payment = Payment.objects.get()
    assert (payment.fee, payment.net, payment.invoice_id) == (Decimal("46.40"), Decimal("1113.60"), invoice.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cuentas@robotica.example"]


def test_duplicate_deliveries_and_a_second_event_for_the_same_order_make_one_invoice(conekta, post_hook):
    data = order_paid()

    post_hook.conekta(conekta, data)
    again = post_hook.conekta(conekta, data)
    post_hook.conekta(conekta, order_paid(event_id="6407b5bee1329a000175b9fb"))

    assert again.json()["duplicate"] is True
    assert Invoice.objects.count() == 1 and Payment.objects.count() == 1
    assert WebhookEvent.objects.count() == 2


def test_an_oxxo_order_is_invoiced_as_cash(conekta, post_hook):
    post_hook.conekta(conekta, order_paid(method={"object": "cash_payment", "type": "oxxo",
                                                  "reference": "93345678901234", "store_name": "OXXO"}))

    assert Invoice.objects.get().forma_pago == "01"


def test_a_delivery_signed_by_an_unknown_key_is_rejected_counted_and_not_stored(conekta, post_hook):
    response = post_hook.conekta(conekta, order_paid(), key="stranger")

    assert response.status_code == 400 and response.json()["error"]["code"] == "signature_invalid"
    assert WebhookEvent.objects.count() == 0
    assert GatewayConnection.objects.get(pk=conekta.pk).rejected_signatures == 1


def test_a_signed_body_that_is_not_json_is_stored_as_rejected(conekta, post_hook):
    payload = b"order.paid, but not JSON"

    response = post_hook.conekta(conekta, payload, digest=sign(payload))

    assert response.status_code == 200
    assert response.json()["rejected"] == {"code": "payload_not_json", "message": "El cuerpo no es JSON válido."}
    assert WebhookEvent.objects.get().status == WebhookEvent.REJECTED


def test_a_rotated_webhook_key_is_accepted_alongside_the_old_one(conekta, post_hook):
    add_signing_secret(conekta, public_pem("next"), as_of=conekta.created_at)

    old = post_hook.conekta(conekta, order_paid(), key="current")
    new = post_hook.conekta(conekta, order_paid(event_id="6407b5bee1329a000175b9fc"), key="next")

    assert (old.status_code, new.status_code) == (200, 200)
    assert [h["hint"][:5] for h in GatewayConnection.objects.get(pk=conekta.pk).signing_secret_hints] == ["RSA …"] * 2


def test_a_refund_arriving_before_its_order_waits_then_credits_the_invoice(conekta, post_hook):
    refund = order_refunded([("6407b5bee1329a000175ba11", 30000)], event_id="6407b5bee1329a000175ba12", partial=True)

    post_hook.conekta(conekta, refund)
    assert WebhookEvent.objects.get().status == WebhookEvent.WAITING

    post_hook.conekta(conekta, order_paid())

    assert WebhookEvent.objects.filter(status=WebhookEvent.PROCESSED).count() == 2
    credited = Refund.objects.get()
    assert (credited.amount, credited.status) == (Decimal("300.00"), Refund.CREDITED)
    egreso, ingreso = credited.credit_note, Invoice.objects.get(tipo_de_comprobante="I")
    assert egreso.tipo_de_comprobante == "E"
    assert egreso.related == [{"tipo_relacion": "01", "uuids": [ingreso.uuid]}]


@pytest.mark.parametrize("cents", [30000, 24828, 1, 117, 99999, 116000])
def test_a_refund_credits_exactly_the_refunded_amount_over_several_lines(conekta, post_hook, cents):
    # given a two-line order of 1,160.00 (IVA 16 % included), where SAT's rounding of each line's
    # total cannot reach every amount on its own
    post_hook.conekta(conekta, order_paid())
    # when part of it (or all of it) is refunded
    post_hook.conekta(conekta, order_refunded([("6407b5bee1329a000175ba11", cents)],
                                              event_id="6407b5bee1329a000175ba12", partial=cents < 116000))
    # then the nota de crédito's Total is exactly the money given back
    egreso = Refund.objects.get().credit_note
    assert egreso.total == Decimal(cents) / 100
