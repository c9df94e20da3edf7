from django.apps import AppConfig


class DokuAlloSimulatorConfig(AppConfig):
    name = "django_doku_allo.simulator"
    label = "doku_allo_simulator"
    verbose_name = "DOKU Allo simulator"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import conf  # noqa: F401 - connects the setting_changed hook
