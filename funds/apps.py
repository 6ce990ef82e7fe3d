from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = "帮扶资金与物资"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .declaration import declare

        declare()
