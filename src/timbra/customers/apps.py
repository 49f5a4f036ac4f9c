from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "timbra.customers"
    label = "customers"
