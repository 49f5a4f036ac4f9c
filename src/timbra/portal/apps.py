from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "timbra.portal"
    label = "portal"
    verbose_name = "Portal del cliente"
