from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "timbra.payments"
    label = "payments"
    verbose_name = "Pagos"
