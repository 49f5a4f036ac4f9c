"""Forms of the Pasarelas, Eventos and Cobros pages. They shape input only; the payments
services validate it (a Stripe secret starts with whsec_, …) and their InvoicingError goes
back on the field it names."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.services.manage_connection import METADATA_FIELDS

SECRET_INPUT = forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"})
METADATA_LABELS = {
    "rfc": "RFC", "nombre": "Razón social", "regimen_fiscal": "Régimen fiscal", "uso_cfdi": "Uso del CFDI",
    "codigo_postal": "Código postal",
}


# provider → (secret label, secret help, key label, key help)
CONNECT_TEXT = {
    "stripe": ("Secreto de firma del webhook",
               "En Stripe: Desarrolladores → Webhooks → tu endpoint → «Secreto de firma» (whsec_…).",
               "Llave restringida (opcional)",
               "rk_… con lectura de cargos, clientes y saldos: completa comisiones y datos fiscales."),
    "conekta": ("Llave pública del webhook (PEM)",
                "La respuesta de POST /webhook_keys de Conekta: «-----BEGIN PUBLIC KEY-----…».",
                "Llave privada (opcional)", "key_…: permite pedir a Conekta los eventos que no llegaron."),
    "mercadopago": ("Clave secreta de Webhooks", "En Mercado Pago: Tus integraciones → Webhooks → «Clave secreta».",
                    "Access token", "APP_USR-…: sin él los avisos esperan (solo traen el id del pago)."),
}  # fmt: skip


class ConnectForm(forms.Form):
    """Connect one gateway: its webhook secret (or public key) and an optional API key."""

    secret = forms.CharField(max_length=4000, widget=SECRET_INPUT)
    api_key = forms.CharField(max_length=400, required=False, widget=SECRET_INPUT)

    def __init__(self, provider: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix=provider, **kwargs)  # type: ignore[arg-type]
        secret_label, secret_help, key_label, key_help = CONNECT_TEXT[provider]
        self.provider = provider
        self.action = reverse(f"dashboard:gateway_connect_{provider}")
        self.fields["secret"].label, self.fields["secret"].help_text = secret_label, secret_help
        self.fields["api_key"].label, self.fields["api_key"].help_text = key_label, key_help
        if provider == "conekta":
            self.fields["secret"].widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})


class SecretForm(forms.Form):
    signing_secret = forms.CharField(label="Nuevo secreto de firma", max_length=200, widget=SECRET_INPUT)


class ApiKeyForm(forms.Form):
    api_key = forms.CharField(label="Llave de API", max_length=200, widget=SECRET_INPUT)


class MetadataKeysForm(forms.Form):
    """Which gateway metadata key carries each fiscal field (blank: the default name)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in METADATA_FIELDS:
            self.fields[name] = forms.CharField(label=METADATA_LABELS.get(name, name), max_length=60,
                                                required=False)


class EventFilterForm(forms.Form):
    status = forms.ChoiceField(label="Estado", required=False,
                               choices=[("", "Todos"), *WebhookEvent.STATUSES])
    type = forms.CharField(label="Tipo", required=False, max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": "invoice.paid", "type": "search"}))


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(label="Estado", required=False, choices=[("", "Todos"), *Payment.STATUSES])
