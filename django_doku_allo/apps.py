from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DokuAlloConfig(AppConfig):
    name = "django_doku_allo"
    label = "doku_allo"
    verbose_name = _("DOKU Allo Bank")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, conf  # noqa: F401 - registers system checks and settings hooks
