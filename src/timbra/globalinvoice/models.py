"""The factura global and autofactura: per-org settings, and one receipt per payment that was
not invoiced nominatively.

A receipt ends in exactly one CFDI: its own (autofactura, or the customer's fiscal data
arrived) or a concepto of the global invoice of its period. Its `status` changes only by
compare-and-swap (`UPDATE … WHERE status = 'open'`), so a customer claiming it and the global
taking it cannot both win (services/claims.py).
"""

from __future__ import annotations

from django.db import models

from timbra.dbfields import ScaledDecimalField
from timbra.invoicing.models import Invoice
from timbra.orgs.models import Org
from timbra.payments.models import Payment


class GlobalInvoiceSettings(models.Model):
    """Per org: how often the global invoice closes, how long customers have to claim a
    receipt, and what happens when they turn up after the global took it."""

    REFUSE = "refuse"
    EGRESO = "egreso"  # guía del CFDI global, Appendix 2 option III (what Odoo does)
    CANCEL_04 = "cancel_04"  # cancel the global with motive 04 and re-issue it without the receipt
    POLICIES = [
        (REFUSE, "Rechazar: el cliente debe pedirla al negocio"),
        (EGRESO, "Nota de crédito contra la global y después la factura del cliente"),
        (CANCEL_04, "Cancelar la global (motivo 04) y reexpedirla sin el ticket"),
    ]

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="global_invoice_settings")
    periodicity = models.CharField(max_length=12, default="monthly")  # domain.global_periods.Periodicity
    claim_days = models.PositiveSmallIntegerField(default=7)
    after_global_policy = models.CharField(max_length=12, choices=POLICIES, default=REFUSE)
    # Public, printed on receipts: /portal/autofactura/<slug>/. Knowing it reveals nothing.
    portal_slug = models.SlugField(max_length=60, unique=True)
    updated_at = models.DateTimeField()


class Receipt(models.Model):
    """A payment without a nominative CFDI (yet), with the code its customer can invoice it with."""

    OPEN = "open"  # claimable; the global of its period takes it when the period closes
    CLAIMED = "claimed"  # reserved for its own CFDI (autofactura or fiscal data arrived)
    IN_GLOBAL = "in_global"  # a concepto of `global_invoice`
    HELD = "held"  # cannot go into a global (e.g. it has retentions); status_reason says why
    STATUSES = [
        (OPEN, "Abierto"),
        (CLAIMED, "Facturado al cliente"),
        (IN_GLOBAL, "En la factura global"),
        (HELD, "Detenido"),
    ]

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="receipts")
    livemode = models.BooleanField(default=False)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    code = models.CharField(max_length=16)  # short, random, unique per org (services/receipts.py)
    number = models.CharField(max_length=100)  # the receipt number: NoIdentificacion in the global
    currency = models.CharField(max_length=3)
    amount = ScaledDecimalField(scale=2)
    forma_pago = models.CharField(max_length=2)
    paid_at = models.DateTimeField()
    period_key = models.CharField(max_length=30)  # domain.global_periods.GlobalPeriod.key, org-local
    closes_at = models.DateTimeField()  # when its period closes (UTC); the global is due then
    claim_deadline = models.DateTimeField()  # shown to the customer: min(paid_at + claim_days, closes_at)
    status = models.CharField(max_length=10, choices=STATUSES, default=OPEN)
    status_reason = models.TextField(blank=True, default="")  # Spanish
    global_invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="global_receipts"
    )
    # After the global: the Egreso that took this receipt out of it (policy "egreso").
    global_egreso = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="egreso_for_receipt"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["org", "code"], name="receipt_code_unique_per_org"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"]), models.Index(fields=["org", "livemode", "status"])]

    def __str__(self) -> str:
        return f"Ticket {self.number}"


class AutofacturaAttempt(models.Model):
    """Rate limit of the public autofactura page: attempts per key (IP or receipt code) per
    window, counted with a conditional UPDATE so every web process shares the count."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_attempt_row_per_window")]
