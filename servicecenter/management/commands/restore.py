"""``manage.py restore ARCHIVE``: into an empty database and media folder, then verified
(servicecenter/backup.py). ``--verify-only`` checks an archive without restoring it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from servicecenter import backup


class Command(BaseCommand):
    help = ("从 manage.py backup 写出的备份文件恢复到空数据库与空附件目录，然后逐表核对行数、逐个核对文件校验和。"
            "目标不空、备份损坏、备份来自更新的版本、加密密钥不对时拒绝恢复，不写入任何数据。")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", type=Path, help="备份文件（.tar）")
        parser.add_argument("--verify-only", action="store_true", help="只校验备份文件是否完整，不恢复")

    def handle(self, *args: Any, archive: Path, verify_only: bool, **options: Any) -> None:
        log = self.stdout.write if options["verbosity"] >= 2 else (lambda _: None)
        try:
            if verify_only:
                manifest = backup.verify_archive(archive)
                self.stdout.write(self.style.SUCCESS(
                    f"备份文件完整：{archive}（{manifest['created_at']}，{len(manifest['tables'])} 张表 "
                    f"{sum(manifest['tables'].values()):,} 行，{manifest['media']['files']:,} 个文件，校验和全部相符）"))
                return
            result = backup.restore_backup(archive, log=log)
        except backup.BackupError as exc:
            raise CommandError(f"{'校验' if verify_only else '恢复'}失败：{exc}") from exc
        m = result.manifest
        self.stdout.write(self.style.SUCCESS(f"恢复完成：{archive}（备份于 {m['created_at']}）"))
        self.stdout.write(f"  {len(m['tables'])} 张表 {sum(m['tables'].values()):,} 行、{m['media']['files']:,} 个文件，"
                          "与备份清单逐项相符")
        self.stdout.write(f"  耗时：{result.timings.describe()}")
        if result.older_schema:
            self.stdout.write(self.style.WARNING("  备份的数据库结构比当前程序旧：请接着运行 manage.py migrate。"))
