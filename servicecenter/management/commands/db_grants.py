"""``manage.py db_grants <app role>``: the SQL that gives the application's PostgreSQL role what it
needs and no more (run it as the owner after each ``migrate``; docs/security.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from servicecenter.auditguard import postgres_app_grants


class Command(BaseCommand):
    help = "打印应用数据库角色的授权语句（PostgreSQL；审计表只可插入和查询）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role")

    def handle(self, *args: Any, **options: Any) -> None:
        for sql in postgres_app_grants(options["role"]):
            self.stdout.write(sql + ";")
