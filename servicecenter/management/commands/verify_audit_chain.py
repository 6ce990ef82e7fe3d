"""``manage.py verify_audit_chain``: recompute the audit log's hash chains; exit 1 at the first break."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from servicecenter import auditchain


class Command(BaseCommand):
    help = "校验审计日志的哈希链，报告第一处断裂"

    def handle(self, *args: Any, **options: Any) -> None:
        report = auditchain.verify()
        for chain, (last_id, last_hash) in sorted(report.heads.items()):
            self.stdout.write(f"链 {chain}: 最后一行 {last_id} {last_hash}")
        if report.first_break is not None:
            b = report.first_break
            raise CommandError(f"审计日志哈希链断裂：第 {b.event_id} 行（链 {b.chain}）：{b.reason}")
        self.stdout.write(self.style.SUCCESS(
            f"审计日志哈希链完整：共 {report.rows} 行（其中 {report.unchained} 行早于哈希链，未校验）。"))
