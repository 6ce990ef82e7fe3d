from django.apps import AppConfig


class LegalaidConfig(AppConfig):
    name = "legalaid"
    verbose_name = "法律援助"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .declaration import declare

        declare()
