"""Payments received against PPD invoices and the Complemento de Pago (REP) each one needs.

A PPD invoice is issued before it is paid; every payment received against it must be
reported with a CFDI type P carrying Pagos 2.0 (reference/cfdi.md §4.3). Not to be confused
with `timbra.payments` (gateway charges that become invoices): a gateway charge matched to
an open PPD invoice ends up here through `record_payment`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from timbra.customers.models import Customer
from timbra.dbfields import ScaledDecimalField
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org

# c_Moneda allows at most 4 decimals (CLF); Pagos20 EquivalenciaDR 10, TipoCambioP 6.
AMOUNT_SCALE = 4
EQUIVALENCIA_SCALE = 10
TIPO_CAMBIO_SCALE = 6


class ReceivablesSettings(models.Model):
    """Per-org REP settings. Orgs without a row use the defaults (see selectors.settings_for)."""

    DEFAULT_SERIE = "P"
    # RMF "Expedición de CFDI por pagos realizados": the 10th of the next month until 2021,
    # the 5th since RMF 2022 to our knowledge; third parties still say 10 (reference/cfdi.md
    # §4.3), so the day is configurable and defaults to the stricter 5.
    DEFAULT_DEADLINE_DAY = 5

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="receivables_settings")
    rep_serie = models.CharField(max_length=25, default=DEFAULT_SERIE)
    rep_deadline_day = models.PositiveSmallIntegerField(default=DEFAULT_DEADLINE_DAY)
    updated_at = models.DateTimeField()


class ReceivedPayment(models.Model):
    """Money received from a customer, applied to one or more of its PPD invoices (one pago20:Pago)."""

    RECORDED = "recorded"
    CANCELLED = "cancelled"  # voided before its REP was stamped; its applications no longer count

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="received_payments")
    livemode = models.BooleanField(default=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="received_payments")
    status = models.CharField(max_length=10, default=RECORDED)
    fecha_pago = models.DateTimeField()  # aware; the REP writes it in the org's local time
    forma_de_pago_p = models.CharField(max_length=2)  # c_FormaPago, never 99 (Pagos20)
    moneda_p = models.CharField(max_length=3, default="MXN")
    tipo_cambio_p = ScaledDecimalField(scale=TIPO_CAMBIO_SCALE, null=True, blank=True)
    monto = ScaledDecimalField(scale=AMOUNT_SCALE)
    num_operacion = models.CharField(max_length=100, blank=True, default="")  # Pagos20 NumOperacion
    # Idempotency key of the business fact: ("api", external id or Idempotency-Key), a gateway
    # charge ("stripe", "ch_…"). The unique constraint, not a lookup, stops a second record.
    source = models.CharField(max_length=30, blank=True, default="")
    source_id = models.CharField(max_length=300, blank=True, default="")  # "key:" + a 255-char Idempotency-Key
    rep_invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="received_payment"
    )
    created_by = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "livemode", "source", "source_id"],
                condition=~Q(source=""),
                name="one_payment_per_business_fact",
            ),
        ]
        indexes = [models.Index(fields=["org", "livemode", "created_at"]),
                   models.Index(fields=["org", "livemode", "fecha_pago"], name="received_paid_month")]  # Inicio

    def __str__(self) -> str:
        return f"Pago {self.pk} de {self.monto} {self.moneda_p}"


class PaymentApplication(models.Model):
    """The part of a payment applied to one invoice (one pago20:DoctoRelacionado), in the
    invoice's currency. NumParcialidad and ImpSaldoAnt are fixed when the payment is recorded."""

    payment = models.ForeignKey(ReceivedPayment, on_delete=models.CASCADE, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payment_applications")
    position = models.PositiveSmallIntegerField()
    imp_pagado = ScaledDecimalField(scale=AMOUNT_SCALE)
    num_parcialidad = models.PositiveSmallIntegerField()
    imp_saldo_ant = ScaledDecimalField(scale=AMOUNT_SCALE)
    equivalencia_dr = ScaledDecimalField(scale=EQUIVALENCIA_SCALE, null=True, blank=True)  # None: same currency
    # False once the payment's REP is cancelled: the application stops counting and its
    # NumParcialidad may be issued again (the replacement REP reports the same parcialidad).
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["payment_id", "position"]
        constraints = [
            # Two concurrent payments can never both claim parcialidad n of one invoice.
            models.UniqueConstraint(
                fields=["invoice", "num_parcialidad"], condition=Q(active=True), name="one_active_parcialidad"
            ),
            models.UniqueConstraint(fields=["payment", "invoice"], name="one_application_per_invoice"),
        ]

    @property
    def imp_saldo_insoluto(self) -> Decimal:
        return self.imp_saldo_ant - self.imp_pagado


class RepAlert(models.Model):
    """«REP due» emails already sent: at most one per payment per (org-local) day."""

    payment = models.ForeignKey(ReceivedPayment, on_delete=models.CASCADE, related_name="rep_alerts")
    day = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["payment", "day"], name="one_rep_alert_per_day")]
