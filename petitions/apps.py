from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "petitions"
    verbose_name = "信访接待"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .declaration import declare

        declare()
