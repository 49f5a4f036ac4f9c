"""Forms of issue 11 on the invoice page: cancel at the SAT, credit note by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from timbra.domain.cancellation import MOTIVOS
from timbra.invoicing.inputs import LineInput
from timbra.invoicing.models import Invoice

MOTIVO_CHOICES = [(code, f"{code} – {label}") for code, label in MOTIVOS.items()]


class CancelForm(forms.Form):
    motivo = forms.ChoiceField(label="Motivo", choices=MOTIVO_CHOICES, initial="02")
    substitute = forms.ModelChoiceField(queryset=Invoice.objects.none(), required=False, label="Factura sustituta",
                                        empty_label="— Ninguna —",
                                        help_text="Solo con el motivo 01: la factura timbrada que la sustituye.")

    def __init__(self, *args: Any, substitutes: QuerySet[Invoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = substitutes  # type: ignore[attr-defined]
        self.fields["substitute"].label_from_instance = lambda i: f"{i.serie_folio} · {i.uuid}"  # type: ignore[attr-defined]


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(label="Importe (con impuestos)", required=False, min_value=Decimal("0.01"),
                                max_digits=18, decimal_places=2, help_text="Vacío: todo lo que queda por acreditar.")
    concept = forms.CharField(label="Concepto", max_length=200, initial="Bonificación")
    token = forms.CharField(widget=forms.HiddenInput)  # one credit note per form shown, however often it is sent


def initial_from(invoice: Invoice) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The new-invoice form's initial data from an existing invoice (to correct it)."""
    general = {"customer": invoice.customer_id, "metodo_pago": invoice.metodo_pago, "forma_pago": invoice.forma_pago,
               "moneda": invoice.moneda, "tipo_cambio": invoice.tipo_cambio, "serie": invoice.serie,
               "condiciones_de_pago": invoice.condiciones_de_pago, "send_email": invoice.send_email}
    # Free rows with the stated keys and the tax-exclusive ValorUnitario: what the CFDI said, nothing inferred.
    lines = [{"product": None, "descripcion": line.descripcion, "clave_prod_serv": line.clave_prod_serv,
              "clave_unidad": line.clave_unidad, "cantidad": line.cantidad, "unit_price": line.valor_unitario,
              "price_includes_taxes": False, "taxes": list(line.taxes)} for line in invoice.lines.all()]
    return general, lines


def as_lines(lines: list[LineInput | None]) -> list[LineInput]:
    return [line for line in lines if line is not None]


class CancellationSettingsForm(forms.Form):
    cancel_on_gateway_void = forms.BooleanField(
        required=False, label="Cancelar el CFDI cuando la pasarela anula la factura (motivo 02)",
        help_text="Sin marcar, la factura queda señalada para que alguien la cancele.")
    cancel_on_full_refund = forms.BooleanField(
        required=False, label="Cancelar el CFDI cuando se reembolsa todo el cobro (motivo 03)",
        help_text="Sin marcar, se emite una nota de crédito por el total.")
