"""Forms of the invoicing-rules pages: the rule editor (with its preview target) and the rate source."""

from __future__ import annotations

from typing import Any

from django import forms

from timbra.dashboard import choices
from timbra.dashboard.forms import DECIMAL
from timbra.domain.invoicing_rules import PLACEHOLDERS, PROVIDERS, TRANSACTION_TYPES
from timbra.invoicing.errors import InvoicingError
from timbra.payments.models import Payment, WebhookEvent
from timbra.payments.rules.models import InvoicingRule, InvoicingSettings
from timbra.payments.rules.services import FIELDS

RECENT = 20


def _pairs(text: str) -> dict[str, str]:
    """ "clave=valor" per line → {"clave": "valor"}."""
    pairs = {}
    for line in text.splitlines():
        if line.strip():
            key, sep, value = line.partition("=")
            if not sep:
                raise forms.ValidationError(f"«{line.strip()}»: escribe cada metadato como clave=valor.")
            pairs[key.strip()] = value.strip()
    return pairs


class RuleForm(forms.Form):
    name = forms.CharField(label="Nombre", max_length=100)
    enabled = forms.BooleanField(label="Regla activa", required=False, initial=True)
    # Conditions.
    product_ids = forms.CharField(label="Productos o precios de la pasarela", required=False,
                                  help_text="Ids separados por comas (prod_… o price_…). Vacío: cualquiera.")
    metadata = forms.CharField(label="Metadatos", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                               help_text="Uno por línea, clave=valor; todos deben coincidir.")
    description_contains = forms.CharField(label="La descripción contiene", max_length=200, required=False)
    currencies = forms.CharField(label="Monedas", required=False, help_text="Claves separadas por comas, p. ej. USD.")
    amount_min = forms.DecimalField(label="Importe mínimo", required=False, **DECIMAL)
    amount_max = forms.DecimalField(label="Importe máximo", required=False, **DECIMAL)
    providers = forms.MultipleChoiceField(label="Pasarelas", required=False, choices=list(PROVIDERS.items()),
                                          widget=forms.CheckboxSelectMultiple)
    transaction_types = forms.MultipleChoiceField(label="Tipo de transacción", required=False,
                                                  choices=list(TRANSACTION_TYPES.items()),
                                                  widget=forms.CheckboxSelectMultiple)
    # Decision.
    invoice = forms.BooleanField(label="Facturar estos pagos", required=False, initial=True)
    skip_reason = forms.CharField(label="Motivo para no facturar", max_length=500, required=False)
    clave_prod_serv = forms.CharField(label="Clave de producto o servicio", max_length=8, initial="81112101")
    clave_unidad = forms.CharField(label="Clave de unidad", max_length=3, initial="E48")
    unidad = forms.CharField(label="Unidad", max_length=20, required=False, initial="Servicio")
    description_template = forms.CharField(
        label="Descripción en la factura", max_length=1000, required=False,
        help_text="Vacío: la descripción del cobro. Marcadores: " + ", ".join("{" + p + "}" for p in PLACEHOLDERS))
    price_includes_taxes = forms.BooleanField(label="El importe cobrado ya incluye los impuestos", required=False,
                                              initial=True)
    objeto_imp = forms.ChoiceField(label="Objeto de impuesto", initial="02",
                                   choices=lambda: choices.catalog_choices("objeto_imp"))
    taxes = forms.MultipleChoiceField(label="Impuestos y retenciones", required=False, choices=choices.tax_choices,
                                      widget=forms.CheckboxSelectMultiple, initial=["IVA16"])
    serie = forms.CharField(label="Serie", max_length=25, required=False,
                            help_text="Vacío: la serie predeterminada de la organización.")
    uso_cfdi = forms.ChoiceField(label="Uso de CFDI", required=False,
                                 choices=lambda: [("", "El del cliente")] + choices.catalog_choices("uso_cfdi"))
    send_email = forms.BooleanField(label="Enviar la factura por correo", required=False, initial=True)
    # Preview target (not saved).
    sample = forms.ChoiceField(label="Cobro o evento para probar", required=False)

    def __init__(self, *args: Any, samples: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sample"].choices = [("", "Elige un cobro reciente")] + (samples or [])

    @staticmethod
    def initial_for(rule: InvoicingRule) -> dict[str, Any]:
        values = {name: getattr(rule, name) for name in FIELDS}
        values["product_ids"] = ", ".join(rule.product_ids)
        values["currencies"] = ", ".join(rule.currencies)
        values["metadata"] = "\n".join(f"{k}={v}" for k, v in rule.metadata.items())
        return values

    def clean_metadata(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["metadata"])

    def to_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in FIELDS}

    def attach(self, exc: InvoicingError) -> None:
        """A service error next to its field ("decision.clave_unidad" → clave_unidad)."""
        name = exc.field.rsplit(".", 1)[-1]
        self.add_error(name if name in self.fields else None, exc.message)


def sample_choices(org: Any, *, livemode: bool) -> list[Any]:
    """Recent payments and not-yet-processed events of the org, grouped, for the preview picker."""
    payments = Payment.objects.filter(org=org, livemode=livemode).order_by("-paid_at", "-pk")[:RECENT]
    events = (WebhookEvent.objects.filter(org=org, livemode=livemode, payment__isnull=True)
              .order_by("-received_at", "-pk")[:RECENT])
    return [
        ("Cobros", [(f"p:{p.pk}", f"{p.paid_at:%d/%m/%Y} · {p.amount:,.2f} {p.currency} · "
                     f"{(p.description or p.key)[:60]}") for p in payments]),
        ("Eventos sin cobro", [(f"e:{e.pk}", f"{e.received_at:%d/%m/%Y} · {e.event_type} · {e.object_id[:40]}")
                               for e in events]),
    ]


class RateSourceForm(forms.Form):
    exchange_rate_source = forms.ChoiceField(label="Tipo de cambio cuando la pasarela no lo da",
                                             choices=InvoicingSettings.RATE_SOURCES)
    manual_rates = forms.CharField(label="Tipos de cambio fijos (MXN por unidad)", required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}), help_text="Uno por línea: USD=17.25")

    def clean_manual_rates(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["manual_rates"])
