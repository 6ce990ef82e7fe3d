from django.apps import AppConfig


class ServiceCenterConfig(AppConfig):
    name = "servicecenter"
    verbose_name = "职工服务中心（公共部分）"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Infrastructure hooks only (audit of logins, the SQLite audit guard, start-up checks);
        # no business rule is driven by a signal.
        from . import auditguard, checks, loginaudit  # noqa: F401
