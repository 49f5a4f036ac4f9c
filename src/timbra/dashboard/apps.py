from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "timbra.dashboard"
    label = "dashboard"
