"""Re-check every draft and open posting against the lawful-wording checker as it is now (after its
tables in jobs/wording.py changed): those that fail leave matching until someone edits them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jobs import wording
from jobs.services import posting_check_wording


class Command(BaseCommand):
    help = "按现行措辞规则重新审查草稿和招聘中的岗位；不合法的岗位退出匹配，直到修改。"

    def handle(self, *args: Any, **options: Any) -> None:
        failed = posting_check_wording()
        for posting in failed:
            self.stdout.write(f"{posting.number} {posting.org_unit}：{wording.refusal(posting.title + '，' + posting.requirements)}")
        self.stdout.write(self.style.SUCCESS(f"审查完成：{len(failed)} 个岗位措辞不合法。"))
