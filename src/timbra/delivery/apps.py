from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    name = "timbra.delivery"
    label = "delivery"
