"""django-tasks-db's ``db_worker``, plus a heartbeat file that ``/readyz`` reads (servicecenter/health.py).

Same options and behaviour as the original; this app comes first in INSTALLED_APPS, so
``manage.py db_worker`` is this command. The heartbeat is a file under MEDIA_ROOT, which the worker
and every app server share already, touched every 30 s by a daemon thread and removed on exit.
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from servicecenter import health


class Command(DbWorkerCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        stop = health.start_heartbeat()
        try:
            super().handle(*args, **options)
        finally:
            stop()
