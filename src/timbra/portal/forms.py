"""Portal forms: they collect input; the services validate the fiscal rules (same code as the
dashboard) and their InvoicingError goes back on the field it names. Help text is for a person,
not an accountant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms

from timbra.domain import catalogs
from timbra.invoicing.errors import InvoicingError
from timbra.portal.csf import MAX_BYTES


def _choices(catalog: str) -> list[tuple[str, str]]:
    return [("", "Elige una opción"), *((code, f"{code} · {text}") for code, text in catalogs.codes(catalog))]


class FiscalDataForm(forms.Form):
    rfc = forms.CharField(
        label="RFC", max_length=13, min_length=12,
        help_text="12 caracteres si es una empresa, 13 si eres persona física. Lo encuentras en tu constancia "
                  "del SAT o en tus recibos de nómina.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                      "inputmode": "text"}))
    nombre = forms.CharField(
        label="Nombre o razón social", max_length=300,
        help_text="Exactamente como lo tiene el SAT. Si eres empresa, sin «S.A. de C.V.» ni similares.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "characters"}))
    codigo_postal = forms.CharField(
        label="Código postal de tu domicilio fiscal", max_length=5, min_length=5,
        help_text="El de tu domicilio ante el SAT (viene en tu constancia); puede no ser donde vives.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code", "pattern": "[0-9]{5}"}))
    regimen_fiscal = forms.ChoiceField(
        label="Régimen fiscal", choices=lambda: _choices("regimen_fiscal"),
        help_text="Si eres asalariado, suele ser 605; con actividad empresarial, 612 o 626; una empresa, 601.")
    uso_cfdi = forms.ChoiceField(
        label="¿Para qué usarás la factura?", choices=lambda: _choices("uso_cfdi"), initial="G03",
        help_text="Si no sabes, «G03 · Gastos en general» sirve para la mayoría de las compras.")

    def attach(self, exc: InvoicingError) -> None:
        self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class CsfUploadForm(forms.Form):
    constancia = forms.FileField(label="Tu Constancia de Situación Fiscal (PDF)",
                                 help_text="Opcional: la leemos para llenar el formulario por ti. No la guardamos.",
                                 widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}))

    def clean_constancia(self) -> Any:
        upload = self.cleaned_data["constancia"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("El archivo pesa más de 5 MB; una constancia del SAT pesa mucho menos.")
        return upload


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label="Tu correo", max_length=254,
                             help_text="El correo con el que pagaste o al que te llegan las facturas.",
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ZipRangeForm(forms.Form):
    desde = forms.DateField(label="Desde", widget=forms.DateInput(attrs={"type": "date"}))
    hasta = forms.DateField(label="Hasta", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("desde"), data.get("hasta")
        if isinstance(start, date) and isinstance(end, date):
            if end < start:
                raise forms.ValidationError("La fecha «hasta» debe ser posterior a «desde».")
            if end - start > timedelta(days=366):
                raise forms.ValidationError("Elige un periodo de un año como máximo.")
        return data
