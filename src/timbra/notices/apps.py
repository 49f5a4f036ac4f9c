from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "timbra.notices"
    label = "notices"
    verbose_name = "Avisos"

    def ready(self) -> None:
        from timbra.notices import receivers  # noqa: F401  (connects the schedule signals)
