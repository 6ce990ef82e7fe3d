"""Django's ``flush``, allowed to empty the append-only audit table on SQLite (see auditguard.py)."""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from servicecenter.auditguard import unlocked_for_flush


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with unlocked_for_flush():
            super().handle(**options)
