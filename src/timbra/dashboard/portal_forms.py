"""Dashboard forms about the customer portal: the org's chase policy and the Cobro page's
"assign a customer" form. They shape input; the portal services validate it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from timbra.customers.models import Customer


class ChasePolicyForm(forms.Form):
    enabled = forms.BooleanField(label="Pedir los datos fiscales por correo a quien paga sin darlos", required=False)
    reminder_days = forms.CharField(
        label="Recordatorios (días después del cobro)", required=False, max_length=40,
        help_text="Separados por coma, p. ej. «2, 5, 10». El primer correo sale en cuanto llega el cobro; "
                  "los recordatorios paran cuando el cliente da sus datos o el cobro pasa a la factura global.")

    def days(self) -> list[int]:
        raw = self.cleaned_data.get("reminder_days") or ""
        try:
            return [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            return [-1]  # the service refuses it with its message


class AssignCustomerForm(forms.Form):
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Cliente existente",
                                      empty_label="Elige un cliente")

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
