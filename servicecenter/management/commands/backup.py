"""``manage.py backup``: one verified archive of the database and the files (servicecenter/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from servicecenter import backup


class Command(BaseCommand):
    help = ("备份：数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）、附件与导出文件、带行数与校验和的清单，"
            "写成一个 .tar 文件并逐项校验；然后按保留规则删除旧备份。字段加密密钥不在备份中。")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--output", "-o", type=Path, default=None,
                            help=f"备份目录（默认 BACKUP_DIR，现为 {settings.BACKUP_DIR}）或以 .tar 结尾的文件名")
        parser.add_argument("--keep-daily", type=int, default=None,
                            help=f"保留最近多少天的备份（每天最新的一份；默认 BACKUP_KEEP_DAILY={settings.BACKUP_KEEP_DAILY}）")
        parser.add_argument("--keep-monthly", type=int, default=None,
                            help=f"另保留最近多少个月的备份（每月最新的一份；默认 BACKUP_KEEP_MONTHLY={settings.BACKUP_KEEP_MONTHLY}）")

    def handle(self, *args: Any, output: Path | None, keep_daily: int | None, keep_monthly: int | None,
               **options: Any) -> None:
        if (keep_daily is not None and keep_daily < 0) or (keep_monthly is not None and keep_monthly < 0):
            raise CommandError("--keep-daily 与 --keep-monthly 不能为负数。")
        log = self.stdout.write if options["verbosity"] >= 2 else (lambda _: None)
        try:
            result = backup.create_backup(output, keep_daily=keep_daily, keep_monthly=keep_monthly, log=log)
        except backup.BackupError as exc:
            raise CommandError(f"备份失败，未写入备份文件：{exc}") from exc
        m = result.manifest
        size = result.path.stat().st_size
        if options["verbosity"] >= 1:
            self.stdout.write(self.style.SUCCESS(f"备份完成：{result.path}"))
            self.stdout.write(f"  {len(m['tables'])} 张表 {sum(m['tables'].values()):,} 行，"
                              f"{m['media']['files']:,} 个文件（{m['media']['bytes']:,} 字节），备份文件 {size:,} 字节，已逐项校验")
            self.stdout.write(f"  耗时：{result.timings.describe()}")
            for path in result.pruned:
                self.stdout.write(f"  按保留规则删除旧备份：{path.name}")
