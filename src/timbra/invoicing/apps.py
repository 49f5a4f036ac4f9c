from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "timbra.invoicing"
    label = "invoicing"
