from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "timbra.receivables"
    label = "receivables"
    verbose_name = "Cobranza y complementos de pago"
