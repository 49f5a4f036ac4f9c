"""Forms of the Pagos recibidos pages. They shape input only; record_payment validates the
Pagos 2.0 rules and its InvoicingError goes back on the field (or the invoice row) it names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet

from timbra.customers.models import Customer
from timbra.dashboard import choices
from timbra.dashboard.forms import DECIMAL
from timbra.invoicing.errors import InvoicingError
from timbra.invoicing.models import Invoice
from timbra.receivables.dates import fecha_pago_instant

# record_payment's field names → this form's.
SERVICE_FIELDS = {"reference": "num_operacion"}
ROW_PREFIX = "factura_"


@dataclass(frozen=True)
class OpenInvoice:
    """A stamped PPD invoice of the customer that still owes `balance`."""

    invoice: Invoice
    balance: Decimal

    @property
    def field_name(self) -> str:
        return f"{ROW_PREFIX}{self.invoice.pk}"


def forma_pago_choices() -> choices.Choices:
    # Pagos20: FormaDePagoP is how the money came in, never «99 Por definir».
    return [choice for choice in choices.catalog_choices("forma_pago") if choice[0] != "99"]


class CustomerFilterForm(forms.Form):
    cliente = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Cliente", required=False,
                                     empty_label="Todos los clientes")

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cliente"].queryset = customers  # type: ignore[attr-defined]


class ReceivedPaymentForm(forms.Form):
    """A payment received from one customer; one optional amount per open invoice of theirs."""

    token = forms.UUIDField(widget=forms.HiddenInput)  # business key: a double submit records once
    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), widget=forms.HiddenInput)
    fecha_pago = forms.DateField(label="Fecha de pago", widget=forms.DateInput(attrs={"type": "date"},
                                                                               format="%Y-%m-%d"))
    hora = forms.TimeField(label="Hora", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                           help_text="Opcional: sin hora se registra a las 12:00 (hora de tu organización).")
    forma_de_pago = forms.ChoiceField(label="Forma de pago", choices=forma_pago_choices, initial="03")
    monto = forms.DecimalField(label="Monto recibido", min_value=Decimal("0.01"), **DECIMAL)
    moneda = forms.ChoiceField(label="Moneda", choices=choices.moneda_choices, initial="MXN")
    tipo_cambio = forms.DecimalField(label="Tipo de cambio", required=False, min_value=Decimal("0.000001"),
                                     help_text="Pesos por unidad; solo si la moneda no es MXN.", **DECIMAL)
    num_operacion = forms.CharField(label="Número de operación", required=False, max_length=100,
                                    help_text="Referencia del banco (opcional).")

    def __init__(self, *args: Any, customers: QuerySet[Customer], open_invoices: list[OpenInvoice],
                 tz: ZoneInfo, **kwargs: Any) -> None:
        kwargs["initial"] = {"token": uuid.uuid4(), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.tz = tz
        self.open_invoices = open_invoices
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        for row in open_invoices:
            self.fields[row.field_name] = forms.DecimalField(
                label=f"Pago a {row.invoice.serie_folio}", required=False, min_value=Decimal("0.01"),
                max_digits=18, decimal_places=6, widget=forms.NumberInput(attrs={"step": "0.01", "aria-label": f"Pago a {row.invoice.serie_folio}"}),
            )

    def rows(self) -> list[tuple[OpenInvoice, forms.BoundField]]:
        return [(row, self[row.field_name]) for row in self.open_invoices]

    def clean_fecha_pago(self) -> date:
        value: date = self.cleaned_data["fecha_pago"]
        if value > datetime.now(self.tz).date():
            raise forms.ValidationError("La fecha de pago no puede ser posterior a hoy.")
        return value

    def fecha_pago_at(self, now: datetime) -> datetime:
        """The aware instant, by the API's rule (a bare date is 12:00 local, or now if still ahead)."""
        day, hour = self.cleaned_data["fecha_pago"], self.cleaned_data.get("hora")
        return fecha_pago_instant(datetime.combine(day, hour) if hour else day, self.tz, now)

    def applications(self) -> list[tuple[Invoice, Decimal]] | None:
        """The amounts typed per invoice; None when none: the oldest open invoices are paid first."""
        filled = [(row.invoice, self.cleaned_data[row.field_name]) for row in self.open_invoices
                  if self.cleaned_data.get(row.field_name) is not None]
        return filled or None

    def attach(self, exc: InvoicingError) -> None:
        """The service's Spanish message next to its field, or the invoice row it names."""
        field = SERVICE_FIELDS.get(exc.field, exc.field)
        if field == "applications":
            named = [row.field_name for row in self.open_invoices
                     if row.invoice.serie_folio and f" {row.invoice.serie_folio} " in f" {exc.message} "]
            field = named[0] if named else ""
        self.add_error(field if field in self.fields and field not in ("token", "customer") else None,
                       exc.message)
