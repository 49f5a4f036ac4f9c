"""Customers (receptores) and their fiscal data."""

from __future__ import annotations

from django.db import models

from timbra.orgs.models import Org


class Customer(models.Model):
    """A receptor. Fiscal data is validated against SAT catalogs on every write
    (timbra.domain.taxpayer) and re-checked before every stamp."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="customers")
    livemode = models.BooleanField(default=False)
    rfc = models.CharField(max_length=13)
    nombre = models.CharField(max_length=300)
    regimen_fiscal = models.CharField(max_length=3)
    codigo_postal = models.CharField(max_length=5)
    uso_cfdi = models.CharField(max_length=4, default="G03")
    emails = models.JSONField(default=list, blank=True)
    external_id = models.CharField(max_length=120, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["org", "livemode", "rfc"])]

    def __str__(self) -> str:
        return f"{self.nombre} ({self.rfc})"
