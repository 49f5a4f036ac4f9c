"""InvoicingRule: how an org's gateway payments become CFDIs; InvoicingSettings: org-wide knobs.

Imported by `timbra.payments.models` so Django registers them with the payments app.
Conditions and decisions are columns (not one JSON blob) so amounts keep the exact
minor-units storage every other money field has.
"""

from __future__ import annotations

from django.db import models

from timbra.dbfields import ScaledDecimalField
from timbra.orgs.models import Org


class InvoicingRule(models.Model):
    """One rule of an org's ordered list (per mode); the first enabled rule that matches wins."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="invoicing_rules")
    livemode = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    # Conditions (all optional, ANDed).
    product_ids = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    description_contains = models.CharField(max_length=200, blank=True, default="")
    currencies = models.JSONField(default=list, blank=True)
    amount_min = ScaledDecimalField(scale=2, null=True, blank=True)
    amount_max = ScaledDecimalField(scale=2, null=True, blank=True)
    providers = models.JSONField(default=list, blank=True)
    transaction_types = models.JSONField(default=list, blank=True)
    # Decision.
    invoice = models.BooleanField(default=True)
    skip_reason = models.CharField(max_length=500, blank=True, default="")
    clave_prod_serv = models.CharField(max_length=8, default="81112101")
    clave_unidad = models.CharField(max_length=3, default="E48")
    unidad = models.CharField(max_length=20, blank=True, default="Servicio")
    description_template = models.CharField(max_length=1000, blank=True, default="")
    price_includes_taxes = models.BooleanField(default=True)
    taxes = models.JSONField(default=list, blank=True)
    objeto_imp = models.CharField(max_length=2, default="02")
    serie = models.CharField(max_length=25, blank=True, default="")
    uso_cfdi = models.CharField(max_length=4, blank=True, default="")
    send_email = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        app_label = "payments"
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["org", "livemode", "position"])]

    def __str__(self) -> str:
        return f"Regla {self.position}: {self.name}"


class InvoicingSettings(models.Model):
    """Org-wide invoicing settings of gateway payments (one row per org, created on first save)."""

    RATE_GATEWAY = "gateway"
    RATE_MANUAL = "manual"
    RATE_BANXICO = "banxico"
    RATE_SOURCES = [
        (RATE_GATEWAY, "Solo el tipo de cambio de la pasarela"),
        (RATE_MANUAL, "Tipo de cambio fijo capturado por la organización"),
        (RATE_BANXICO, "Tipo de cambio FIX de Banxico"),
    ]

    org = models.OneToOneField(Org, on_delete=models.CASCADE, related_name="invoicing_settings")
    # Where TipoCambio comes from when the gateway gives none.
    exchange_rate_source = models.CharField(max_length=10, choices=RATE_SOURCES, default=RATE_GATEWAY)
    manual_rates = models.JSONField(default=dict, blank=True)  # {"USD": "17.250000"}: MXN per unit
    updated_at = models.DateTimeField()

    class Meta:
        app_label = "payments"

    def __str__(self) -> str:
        return f"Ajustes de facturación de {self.org_id}"
