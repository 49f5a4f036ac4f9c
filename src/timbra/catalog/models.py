"""Products and services the org sells, with their SAT keys and taxes."""

from __future__ import annotations

from django.db import models

from timbra.dbfields import ScaledDecimalField
from timbra.orgs.models import Org


class Product(models.Model):
    """A product or service. `taxes` is a list of tax preset codes (timbra.catalog.taxes),
    e.g. ["IVA16"] or ["IVA16", "RET_IVA_2_3", "RET_ISR_10"]."""

    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="products")
    livemode = models.BooleanField(default=False)
    descripcion = models.CharField(max_length=1000)
    clave_prod_serv = models.CharField(max_length=8)
    clave_unidad = models.CharField(max_length=3)
    unidad = models.CharField(max_length=20, blank=True, default="")
    sku = models.CharField(max_length=100, blank=True, default="")  # NoIdentificacion
    unit_price = ScaledDecimalField(scale=6)
    price_includes_taxes = models.BooleanField(default=False)
    objeto_imp = models.CharField(max_length=2, default="02")
    taxes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.descripcion
