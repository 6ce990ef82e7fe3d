from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "就业援助"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .declaration import declare

        declare()
