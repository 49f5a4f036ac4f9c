"""Sign-up and onboarding wizard forms. They shape input; the services (orgs.onboarding,
orgs.pac_settings, create_invoice) check the fiscal rules and their errors land on the field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet

from timbra.customers.models import Customer
from timbra.dashboard import choices
from timbra.dashboard.forms import DECIMAL, OrgSettingsForm
from timbra.invoicing.inputs import InvoiceInput, LineInput
from timbra.orgs.onboarding import MEXICO_TIMEZONES
from timbra.orgs.pac_settings import PACS


class SignupForm(forms.Form):
    email = forms.EmailField(label="Correo", max_length=150,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(label="Contraseña", strip=False, help_text="Al menos 10 caracteres.",
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Repite la contraseña", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "Las contraseñas no coinciden.")
        return data


def timezone_choices() -> list[tuple[str, str]]:
    return [("", "La de mi código postal"), *((zone, zone.replace("America/", "").replace("_", " "))
                                              for zone in MEXICO_TIMEZONES)]


class CompanyForm(OrgSettingsForm):
    """Step 1: the constancia de situación fiscal's data, plus the invoices' look."""

    rfc = forms.CharField(label="RFC", max_length=13)
    nombre = forms.CharField(label="Razón social o nombre", max_length=300,
                             help_text="Tal como aparece en tu constancia de situación fiscal, sin «S.A. de C.V.».")
    regimen_fiscal = forms.ChoiceField(label="Régimen fiscal",
                                       choices=lambda: choices.catalog_choices("regimen_fiscal"))
    lugar_expedicion = forms.CharField(label="Código postal del lugar de expedición", max_length=5)
    timezone = forms.ChoiceField(label="Zona horaria", choices=timezone_choices, required=False,
                                 help_text="La fecha de cada CFDI es la hora local de tu lugar de expedición.")
    field_order = ["rfc", "nombre", "regimen_fiscal", "lugar_expedicion", "timezone", "email", "default_serie",
                   "brand_color", "logo"]

    def __init__(self, *args: Any, fiscal_locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["remove_logo"]
        if fiscal_locked:  # they must match the CSD and the invoices already issued
            for name in ("rfc", "nombre", "regimen_fiscal", "lugar_expedicion", "timezone"):
                del self.fields[name]


class PacForm(forms.Form):
    """Step 3: which PAC, its environment and credentials (a field per credential of any PAC;
    the service keeps only the chosen PAC's)."""

    name = forms.ChoiceField(label="PAC", choices=[(c.name, c.label) for c in PACS.values()], initial="sandbox")
    test_environment = forms.TypedChoiceField(
        label="Ambiente", coerce=lambda v: v == "test", initial="test",
        choices=[("test", "Pruebas del PAC (sin validez fiscal)"), ("live", "Producción")])
    base_url = forms.CharField(label="URL del servicio (opcional)", required=False, max_length=300,
                               help_text="Vacío: la dirección oficial del PAC.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for choice in PACS.values():
            for cred in choice.fields:
                widget = (forms.PasswordInput(attrs={"autocomplete": "off"}) if cred.secret
                          else forms.TextInput(attrs={"autocomplete": "off"}))
                self.fields[self.key(choice.name, cred.name)] = forms.CharField(
                    label=f"{choice.label}: {cred.label}", required=False, strip=True, widget=widget,
                    help_text="Déjalo vacío para conservar la guardada." if cred.secret else "")

    @staticmethod
    def key(pac: str, credential: str) -> str:
        return f"{pac}_{credential}"

    def credentials(self) -> dict[str, str]:
        name = self.cleaned_data["name"]
        return {cred.name: self.cleaned_data.get(self.key(name, cred.name), "") for cred in PACS[name].fields}


class FirstInvoiceForm(forms.Form):
    """Step 5: one concept for one customer, in test mode."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), label="Cliente", empty_label=None)
    descripcion = forms.CharField(label="Concepto", max_length=1000, initial="Servicio de prueba")
    clave_prod_serv = forms.CharField(label="Clave de producto o servicio", max_length=8, initial="81112101")
    clave_unidad = forms.CharField(label="Clave de unidad", max_length=3, initial="E48")
    unit_price = forms.DecimalField(label="Precio sin IVA", min_value=Decimal("0.01"), initial=Decimal("100.00"),
                                    **DECIMAL)
    forma_pago = forms.ChoiceField(label="Forma de pago", choices=choices.forma_pago_choices, initial="03")

    def __init__(self, *args: Any, customers: QuerySet[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]

    def to_input(self) -> InvoiceInput:
        data = self.cleaned_data
        line = LineInput(descripcion=data["descripcion"], clave_prod_serv=data["clave_prod_serv"],
                         clave_unidad=data["clave_unidad"].upper(), unit_price=data["unit_price"],
                         price_includes_taxes=False, taxes=("IVA16",))
        return InvoiceInput(customer_id=data["customer"].pk, lines=(line,), forma_pago=data["forma_pago"])
