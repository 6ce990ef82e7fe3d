from django.apps import AppConfig


class HardshipConfig(AppConfig):
    name = "hardship"
    verbose_name = "困难职工档案"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .declaration import declare

        declare()
