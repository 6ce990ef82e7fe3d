"""Daily: applications left incomplete past ``legalaid.supplement_days`` are withdrawn (视为撤回),
each with its timeline entry and a printable notice. Run from cron as an account whose scope covers
the units concerned (the city center's supervisor covers all):

    python manage.py legalaid_withdraw_stale --by city_sup
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from servicecenter.models import User

from ...services import applications_withdraw_stale


class Command(BaseCommand):
    help = "将逾期未补齐材料的法律援助申请视为撤回（每日运行）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--by", required=True, help="以该账号的名义办理（其管辖范围内的申请）")

    def handle(self, *args: Any, by: str, **options: Any) -> None:
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{by}”不存在或已停用。")
        done = applications_withdraw_stale(by=user)
        for application in done:
            self.stdout.write(f"{application.number}：{application.withdrawal_reason}")
        self.stdout.write(self.style.SUCCESS(f"共 {len(done)} 件视为撤回。"))
