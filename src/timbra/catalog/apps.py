from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "timbra.catalog"
    label = "catalog"
