from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "timbra.orgs"
    label = "orgs"
