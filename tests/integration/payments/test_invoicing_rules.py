"""A gateway payment becomes the invoice its org's rules say (issue 3, invoicing rules):
first match wins, retentions, serie, uso, send flag, skip rules, and foreign-currency rates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import NOW
from tests.sat_official import assert_valid_cfdi
from tests.unit.payments.stripe_events import event
from timbra.customers.models import Customer
from timbra.delivery.models import Delivery
from timbra.domain.status import InvoiceStatus
from timbra.invoicing.models import Invoice
from timbra.payments.gateways.base import CustomerData, NormalizedPayment, PaymentLine
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules import rates
from timbra.payments.rules.models import InvoicingSettings
from timbra.payments.rules.services import create_rule
from timbra.payments.services.invoice_payment import invoice_payment
from timbra.payments.services.record_payment import record_payment

pytestmark = pytest.mark.django_db

HONORARIOS = {
    "name": "Cursos con retenciones",
    "description_contains": "robótica",
    "clave_prod_serv": "86121700",
    "clave_unidad": "E48",
    "unidad": "Curso",
    "description_template": "{descripcion} ({periodo})",
    "taxes": ["IVA16", "RET_IVA_4"],
    "serie": "CUR",
    "uso_cfdi": "G03",
    "send_email": False,
}


def rule(org, **values):
    return create_rule(org, values, livemode=False, as_of=NOW)


def test_a_one_off_charge_is_invoiced_as_its_matching_rule_says(org, connection, deliver):
    # given a rule for course payments (retentions, own serie, no email) after one that does not match
    rule(org, name="Solo dólares", currencies=["USD"], clave_prod_serv="43232408")
    rule(org, **HONORARIOS)
    # when the one-off charge of a robotics course arrives
    deliver(connection, event("charge_succeeded_oneoff"))
    # then its invoice has the rule's keys, taxes, serie, uso and send flag
    invoice = Invoice.objects.get()
    line = invoice.lines.get()
    assert (line.clave_prod_serv, line.unidad, line.taxes) == ("86121700", "Curso",
                                                                 ["IVA16", "RET_IVA_4"])
    assert line.descripcion == "Curso de robótica (pago único) (noviembre 2026)"
    assert (invoice.serie, invoice.uso_cfdi, invoice.send_email) == ("CUR", "G03", False)
    assert invoice.total_retenciones > 0 and invoice.total_traslados > 0
    # the customer paid IVA included: subtotal + IVA = 580.00, retentions are withheld from it
    assert invoice.subtotal + invoice.total_traslados == Decimal("580.00")
    assert invoice.status == InvoiceStatus.DELIVERED and invoice.uuid
    assert Delivery.objects.get(invoice=invoice).status == Delivery.SKIPPED  # send_email off: nobody emailed
    assert_valid_cfdi(bytes(invoice.document.stamped_xml))


def test_the_default_applies_when_no_rule_matches(org, connection, deliver):
    rule(org, name="Solo Conekta", providers=["conekta"], serie="CON")
    deliver(connection, event("charge_succeeded_oneoff"))
    invoice = Invoice.objects.get()
    assert invoice.serie == "A" and invoice.lines.get().clave_prod_serv == connection.default_clave_prod_serv
    assert invoice.lines.get().taxes == ["IVA16"] and invoice.total == Decimal("580.00")


def test_a_subscription_rule_matches_on_the_price_and_the_metadata(org, connection, deliver):
    # given a disabled rule that would match everything, then one on the Pro price and metadata
    rule(org, name="Apagada", enabled=False, serie="OFF")
    rule(org, name="Plan Pro", product_ids=["prod_QhPro0001"], metadata={"regimen_fiscal": "601"},
         transaction_types=["subscription"], clave_prod_serv="81112106", serie="SUS")
    # when the subscription invoice is paid
    deliver(connection, event("invoice_paid"))
    # then the Pro rule shaped every line of it
    invoice = Invoice.objects.get()
    assert invoice.serie == "SUS"
    assert set(invoice.lines.values_list("clave_prod_serv", flat=True)) == {"81112106"}


def test_a_skip_rule_leaves_a_visible_not_invoiced_payment(org, connection, deliver):
    # given a rule that says course payments are not invoiced
    rule(org, name="Sin factura", metadata={"order_id": "ORD-7781"}, invoice=False,
         skip_reason="ventas de mostrador que se incluyen en la factura global")
    # when the charge arrives
    deliver(connection, event("charge_succeeded_oneoff"))
    # then no invoice, and the payment and its event say why
    assert Invoice.objects.count() == 0
    payment = Payment.objects.get()
    assert payment.status == Payment.NOT_INVOICED
    assert "«Sin factura»" in payment.status_reason and "factura global" in payment.status_reason
    assert WebhookEvent.objects.get().status == WebhookEvent.PROCESSED
    assert "Sin factura" in WebhookEvent.objects.get().reason
    assert Customer.objects.count() == 0  # no customer created for a payment that is not invoiced


def _usd_payment(connection, *, rate: Decimal | None) -> Payment:
    normalized = NormalizedPayment(
        provider="stripe", key="pi_usd_sin_tipo", source_kind="charge", livemode=False, currency="USD",
        amount=Decimal("116.00"), paid_at=datetime(2026, 11, 19, 18, 0, tzinfo=UTC), forma_pago="04",
        payment_method="card/credit", lines=(PaymentLine("Consultoría", Decimal(1), Decimal("116.00")),),
        customer=CustomerData(rfc="URE180429TM6", nombre="UNIVERSIDAD ROBOTICA ESPAÑOLA", codigo_postal="86991",
                              regimen_fiscal="601"),
        exchange_rate=rate,
    )
    return record_payment(connection, normalized, as_of=NOW)


class FakeRates:
    def __init__(self, rate: Decimal | None) -> None:
        self.rate_value, self.asked = rate, []

    def rate(self, currency, on):
        self.asked.append((currency, on))
        return self.rate_value


def test_a_foreign_payment_without_a_gateway_rate_takes_the_orgs_source(org, connection):
    payment = _usd_payment(connection, rate=None)
    fake = FakeRates(Decimal("17.250000"))
    with rates.override(fake):
        payment = invoice_payment(payment.pk, as_of=NOW)
    assert payment.status == Payment.INVOICED
    assert (payment.invoice.moneda, payment.invoice.tipo_cambio) == ("USD", Decimal("17.250000"))
    assert fake.asked == [("USD", datetime(2026, 11, 19).date())]  # the payment's day in the org's zone


def test_a_foreign_payment_with_no_known_rate_is_held_with_a_reason(org, connection):
    payment = invoice_payment(_usd_payment(connection, rate=None).pk, as_of=NOW)
    assert payment.status == Payment.FAILED and "sin tipo de cambio" in payment.status_reason
    assert Invoice.objects.count() == 0


def test_the_orgs_manual_rate_is_used_and_the_gateways_rate_wins_over_it(org, connection):
    InvoicingSettings.objects.create(org=org, exchange_rate_source=InvoicingSettings.RATE_MANUAL,
                                     manual_rates={"USD": "18.1"}, updated_at=NOW)
    manual = invoice_payment(_usd_payment(connection, rate=None).pk, as_of=NOW)
    assert manual.invoice.tipo_cambio == Decimal("18.100000")
    assert rates.ManualRates({"USD": "18.1"}).rate("EUR", NOW.date()) is None
