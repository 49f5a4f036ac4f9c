from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "timbra.sandbox"
    label = "sandbox"
