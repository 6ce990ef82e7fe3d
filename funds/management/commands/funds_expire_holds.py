"""Daily: approved relief grants not paid by their ``hold_expires_on`` (``funds.hold_days`` after
the approval) lapse — the hold released, the budget reservation returned, the grant cancelled
(逾期未发放，已解冻). Run from cron (or a systemd timer) as a supervisor whose scope covers the
units concerned; safe to run twice or alongside the cashier:

    python manage.py funds_expire_holds --by city_sup
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from servicecenter.models import User

from ...holds import holds_expire


class Command(BaseCommand):
    help = "将审批后逾期未发放的救助解冻（每日运行）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--by", required=True, help="以该账号的名义办理（其管辖范围内的救助）")

    def handle(self, *args: Any, by: str, **options: Any) -> None:
        user = User.objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"账号“{by}”不存在或已停用。")
        done = holds_expire(by=user)
        for grant in done:
            self.stdout.write(f"{grant.number}：{grant.closed_reason}")
        self.stdout.write(self.style.SUCCESS(f"共 {len(done)} 件逾期解冻。"))
