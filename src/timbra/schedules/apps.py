from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "timbra.schedules"
    label = "schedules"
    verbose_name = "Facturación recurrente"
