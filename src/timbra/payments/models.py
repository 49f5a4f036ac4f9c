"""Gateway connections, the webhook inbox and the payments it produces.

A payment reaches an invoice in three durable steps, each with its own unique key:
WebhookEvent (org, provider, event id) → Payment (org, provider, payment key) →
Invoice (org, source, source_id). Duplicates and reorderings collapse on those keys
(reference/reliability.md §1.1, §2.2), never on checks-before-insert.
"""

from __future__ import annotations

from django.db import models

from timbra.customers.models import Customer
from timbra.dbfields import ScaledDecimalField
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org


class GatewayConnection(models.Model):
    """An org's account at a payment gateway. The org of every event comes from here,
    found by the unguessable token in the webhook URL, never from the payload."""

    ACTIVE = "active"
    DISABLED = "disabled"
    STATUSES = [(ACTIVE, "Activa"), (DISABLED, "Desactivada")]

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="gateway_connections")
    provider = models.CharField(max_length=20)
    livemode = models.BooleanField(default=False)
    webhook_token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=ACTIVE)
    # Encrypted with the vault (AES-GCM, bound to org, connection and field); never plain.
    signing_secrets_encrypted = models.BinaryField(null=True)
    signing_secret_hints = models.JSONField(default=list, blank=True)  # [{"id", "hint", "added_at"}]
    api_key_encrypted = models.BinaryField(null=True)
    api_key_hint = models.CharField(max_length=40, blank=True, default="")
    # Where the gateway keeps what it has no field for (régimen, uso de CFDI...).
    metadata_keys = models.JSONField(default=dict, blank=True)
    # Invoice defaults until the rules engine exists.
    default_clave_prod_serv = models.CharField(max_length=8, default="81112101")
    default_clave_unidad = models.CharField(max_length=3, default="E48")
    default_unidad = models.CharField(max_length=20, default="Servicio")
    last_event_at = models.DateTimeField(null=True, blank=True)
    rejected_signatures = models.PositiveIntegerField(default=0)
    last_rejected_at = models.DateTimeField(null=True, blank=True)
    # The reconciler's watermark (services/reconcile.py): the next run asks the gateway for
    # what happened since this moment (minus an overlap), and what it found last time.
    last_reconciled_at = models.DateTimeField(null=True, blank=True)
    last_reconcile_report = models.JSONField(default=dict, blank=True)  # {"seen", "recovered", "error"}
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "provider", "livemode"], name="one_connection_per_mode"),
        ]

    def __repr__(self) -> str:  # never show secrets
        return f"<GatewayConnection {self.provider} org={self.org_id} live={self.livemode}>"

    __str__ = __repr__


class WebhookEvent(models.Model):
    """The inbox: a verified event exactly as received, stored before the 2xx answer."""

    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    WAITING = "waiting"
    FAILED = "failed"
    # Correctly signed but unreadable (not JSON, not an event, a `created` out of range...):
    # kept, so the fact is never lost, and shown with its reason; never processed.
    REJECTED = "rejected"
    STATUSES = [
        (RECEIVED, "Recibido"),
        (PROCESSED, "Procesado"),
        (IGNORED, "Ignorado"),
        (WAITING, "En espera"),
        (FAILED, "Con error"),
        (REJECTED, "Rechazado"),
    ]
    OPEN = (RECEIVED, WAITING, FAILED)  # statuses a (re)process may still change

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="webhook_events")
    connection = models.ForeignKey(GatewayConnection, on_delete=models.CASCADE, related_name="events")
    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    livemode = models.BooleanField(default=False)
    api_version = models.CharField(max_length=40, blank=True, default="")
    object_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    gateway_created_at = models.DateTimeField(null=True, blank=True)
    payload = models.TextField()  # the raw body, byte for byte (the signature covers it)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=STATUSES, default=RECEIVED, db_index=True)
    reason = models.TextField(blank=True, default="")  # Spanish, shown on the events page
    waiting_on = models.CharField(max_length=255, blank=True, default="", db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="gateway_events"
    )

    class Meta:
        constraints = [
            # Stripe delivers duplicates (docs.stripe.com/webhooks#handle-duplicate-events).
            # Per org: the same account connected to two orgs must not lose one org's copy.
            models.UniqueConstraint(fields=["org", "provider", "event_id"], name="one_row_per_gateway_event"),
        ]
        indexes = [models.Index(fields=["org", "livemode", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"


class Payment(models.Model):
    """Money received at a gateway: the business fact behind one Ingreso CFDI.

    `key` is the gateway's id for the money (Stripe: the PaymentIntent, else the charge),
    shared by every event about it, so invoice.paid, charge.succeeded and
    payment_intent.succeeded for one payment meet on one row and one invoice."""

    PENDING = "pending"
    INVOICED = "invoiced"
    AWAITING_FISCAL_DATA = "awaiting_fiscal_data"
    FAILED = "failed"
    APPLIED = "applied"  # paid an open PPD invoice: recorded as its payment (a REP), not a new Ingreso
    NOT_INVOICED = "not_invoiced"  # an invoicing rule said not to invoice it (status_reason says which)
    STATUSES = [
        (PENDING, "Por facturar"),
        (INVOICED, "Facturado"),
        (AWAITING_FISCAL_DATA, "Esperando datos fiscales"),
        (FAILED, "Con error"),
        (NOT_INVOICED, "No se factura"),
        (APPLIED, "Aplicado a factura PPD"),
    ]

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="payments")
    connection = models.ForeignKey(GatewayConnection, on_delete=models.PROTECT, related_name="payments")
    livemode = models.BooleanField(default=False)
    provider = models.CharField(max_length=20)
    key = models.CharField(max_length=255)
    source_kind = models.CharField(max_length=20)  # "invoice" > "charge" > "payment_intent" (richest first)
    # False while only a charge of a gateway invoice is known: that invoice's event invoices it.
    invoiceable = models.BooleanField(default=True)
    method_known = models.BooleanField(default=True)  # False: forma_pago is the card default (04)
    charge_id = models.CharField(max_length=255, blank=True, default="")
    payment_intent_id = models.CharField(max_length=255, blank=True, default="")
    gateway_invoice_id = models.CharField(max_length=255, blank=True, default="")
    gateway_customer_id = models.CharField(max_length=255, blank=True, default="")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    currency = models.CharField(max_length=3)
    amount = ScaledDecimalField(scale=2)
    exchange_rate = ScaledDecimalField(scale=6, null=True, blank=True)  # MXN per unit of `currency`
    fee = ScaledDecimalField(scale=2, null=True, blank=True)  # in settlement_currency
    net = ScaledDecimalField(scale=2, null=True, blank=True)
    settlement_currency = models.CharField(max_length=3, blank=True, default="")
    balance_transaction_id = models.CharField(max_length=255, blank=True, default="")
    payment_method = models.CharField(max_length=60, blank=True, default="")  # e.g. "card/debit"
    forma_pago = models.CharField(max_length=2)
    description = models.CharField(max_length=1000, blank=True, default="")
    lines = models.JSONField(default=list)  # normalized lines, so the payment can be invoiced later
    fiscal_data = models.JSONField(default=dict, blank=True)  # what the gateway said about the customer
    paid_at = models.DateTimeField()
    status = models.CharField(max_length=25, choices=STATUSES, default=PENDING, db_index=True)
    status_reason = models.TextField(blank=True, default="")  # Spanish
    invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="payment"
    )
    # Set when the money paid an open PPD invoice (services/settle_open_invoice.py): its REP's payment.
    received_payment = models.OneToOneField(
        "receivables.ReceivedPayment", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="gateway_payment",
    )
    # Sum of the refunds credited with an Egreso (in `currency`); only a conditional UPDATE
    # that keeps it ≤ the invoice's total changes it (services/refunds.py).
    refunded = ScaledDecimalField(scale=2, default=0)
    # The latest chargeback on this money (services/lifecycle.py).
    dispute_id = models.CharField(max_length=255, blank=True, default="")
    dispute_status = models.CharField(max_length=30, blank=True, default="")  # the gateway's word
    dispute_amount = ScaledDecimalField(scale=2, null=True, blank=True)
    dispute_reason = models.CharField(max_length=60, blank=True, default="")
    dispute_outcome = models.CharField(max_length=10, blank=True, default="")  # "open" | "won" | "lost"
    dispute_fee = ScaledDecimalField(scale=2, null=True, blank=True)
    dispute_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "provider", "key"], name="one_payment_per_gateway_money"),
        ]
        indexes = [models.Index(fields=["org", "livemode", "status"]),
                   models.Index(fields=["org", "livemode", "paid_at"], name="payment_paid_month")]  # Inicio

    def __str__(self) -> str:
        return f"Pago {self.provider} {self.key} {self.amount} {self.currency}"


class Refund(models.Model):
    """Money given back for a payment (a refund, or a lost dispute): the business fact behind
    one Egreso (nota de crédito) related with TipoRelacion 01 to the payment's Ingreso.

    Unique per (org, provider, refund id), so every event about one refund meets on one row;
    the Egreso's own key is (org, provider, "refund:<refund id>")."""

    PENDING = "pending"  # the gateway has not confirmed it yet
    WAITING = "waiting"  # the payment's CFDI is not stamped yet
    CREDITED = "credited"  # its Egreso exists
    HELD = "held"  # needs a person (would exceed the invoice, invoice cancelled, ...)
    VOID = "void"  # the gateway says it failed or was canceled: no CFDI
    DISMISSED = "dismissed"  # a person handled it by hand (services/refunds_admin.py); status_reason says how
    STATUSES = [
        (PENDING, "Pendiente en la pasarela"),
        (WAITING, "Espera la factura original"),
        (CREDITED, "Nota de crédito emitida"),
        (HELD, "Detenido"),
        (VOID, "Sin efecto"),
        (DISMISSED, "Resuelto a mano"),
    ]
    OPEN = (PENDING, WAITING, HELD)

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="refunds")
    connection = models.ForeignKey(GatewayConnection, on_delete=models.PROTECT, related_name="refunds")
    livemode = models.BooleanField(default=False)
    provider = models.CharField(max_length=20)
    refund_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, default="refund")  # "refund" | "dispute_lost"
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    currency = models.CharField(max_length=3)
    amount = ScaledDecimalField(scale=2)
    reason = models.CharField(max_length=60, blank=True, default="")  # the gateway's reason code
    gateway_status = models.CharField(max_length=20, blank=True, default="")
    refunded_at = models.DateTimeField()
    fee = ScaledDecimalField(scale=2, null=True, blank=True)  # reconciliation, in settlement_currency
    net = ScaledDecimalField(scale=2, null=True, blank=True)
    settlement_currency = models.CharField(max_length=3, blank=True, default="")
    balance_transaction_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING, db_index=True)
    status_reason = models.TextField(blank=True, default="")  # Spanish
    credit_note = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="refund"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "provider", "refund_id"], name="one_row_per_gateway_refund"),
        ]

    def __str__(self) -> str:
        return f"Reembolso {self.provider} {self.refund_id} {self.amount} {self.currency}"

    @property
    def kind_label(self) -> str:
        return "Contracargo perdido" if self.kind == "dispute_lost" else "Reembolso"


# Invoicing rules live in their own module; imported here so Django registers them.
from timbra.payments.rules.models import InvoicingRule, InvoicingSettings  # noqa: E402, F401
