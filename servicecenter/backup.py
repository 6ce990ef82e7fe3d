"""Backup and restore: one archive with the database, the uploaded and exported files, and a manifest.

The archive is a plain tar (the database dump is compressed already, so are most uploads):

    database.dump      PostgreSQL: ``pg_dump --format=custom`` (or ``database.sqlite3``: SQLite's
                       online-backup API)
    media/…            every file under MEDIA_ROOT (attachments, background exports) except the
                       health probe's folder
    manifest.json      format, time, versions, applied migrations, the row count of every table,
                       size and SHA-256 of every other member, the encryption key's fingerprint
    manifest.sha256    the manifest's own checksum

Consistency: on PostgreSQL the row counts and ``pg_dump`` read the same exported snapshot
(``pg_export_snapshot`` in a REPEATABLE READ transaction held open while ``pg_dump --snapshot`` runs);
on SQLite the counts are taken from the copy. Files are copied after the database snapshot, so every
file a row in the dump refers to was there (files only appear; exports expire after days).

Tables: every table in the database, counted one by one; the manifest also says which installed
app's model each table belongs to (from Django's app registry — the core names no app).

``create_backup`` refuses to leave an archive it cannot verify (re-read, every checksum compared, the
dump's table of contents listing every counted table). ``restore_backup`` refuses, before writing
anything, a non-empty database or media folder, a damaged archive, an archive from a newer schema or
another database engine, and an encryption key that does not open the archived ID numbers; after
restoring it compares every table's rows and every file's checksum with the manifest.

The encryption key (``FIELD_ENCRYPTION_KEY``) is never in the archive: only its fingerprint is.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

import django
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from . import encryption, health

FORMAT = 1
ARCHIVE_PREFIX = "servicecenter-"
ARCHIVE_SUFFIX = ".tar"
ARCHIVE_RE = re.compile(r"^servicecenter-(\d{8})-(\d{6})(?:-\d+)?\.tar$")
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
PG_DUMP = "database.dump"
SQLITE_DUMP = "database.sqlite3"
MEDIA_PREFIX = "media/"
STAGING_PREFIX = ".restore-staging-"
CHUNK = 1024 * 1024
# Folders under MEDIA_ROOT that are not data: the readiness probe's, and an interrupted restore's.
MEDIA_SKIP = (health.HEALTH_DIR_NAME,)
# How many archived ID numbers a restore tries to decrypt before it writes anything.
KEY_SAMPLE_ROWS = 20

Log = Callable[[str], None]


class BackupError(Exception):
    """A refusal or failure, with the message the operator reads (Chinese)."""


@dataclass
class Timings:
    phases: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def describe(self) -> str:
        return "，".join(f"{name} {seconds:.2f} 秒" for name, seconds in self.phases.items())


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    timings: Timings
    pruned: list[Path]


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    timings: Timings
    older_schema: bool


# --- what the database holds --------------------------------------------------------------------


def model_tables() -> dict[str, str]:
    """{table: "app_label.Model"} for every installed app's concrete models (and their m2m tables)."""
    out: dict[str, str] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            out.setdefault(meta.db_table, meta.label)
    return out


def code_migrations() -> set[tuple[str, str]]:
    """Every migration the running code has on disk (squashed ones and the ones they replace)."""
    loader = MigrationLoader(None, ignore_no_migrations=True, replace_migrations=False)
    return set(loader.disk_migrations)


def application_version() -> dict[str, str | None]:
    version = None
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        version = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())["project"]["version"]
    commit = None
    release = Path(settings.BASE_DIR) / "RELEASE"
    if release.exists():
        commit = release.read_text().strip() or None
    else:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=settings.BASE_DIR,  # noqa: S607
                                    capture_output=True, text=True, timeout=10, check=False)
            commit = result.stdout.strip() or None
    return {"version": version, "commit": commit}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _vendor() -> str:
    return connection.vendor


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


# --- PostgreSQL tools ---------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    folder = settings.PG_BIN
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise BackupError(f"找不到 {name}：请安装 Debian 软件包 postgresql-client（版本不低于数据库服务器），"
                          "或用环境变量 PG_BIN 指明其所在目录。")
    return path


def pg_env() -> dict[str, str]:
    """libpq's environment for the default database (the password never on a command line)."""
    db = _db()
    env = dict(os.environ)
    values = {"PGHOST": db.get("HOST"), "PGPORT": db.get("PORT"), "PGUSER": db.get("USER"),
              "PGPASSWORD": db.get("PASSWORD"), "PGDATABASE": db.get("NAME"),
              "PGSSLMODE": db.get("OPTIONS", {}).get("sslmode"),
              "PGCONNECT_TIMEOUT": db.get("OPTIONS", {}).get("connect_timeout")}
    for key, value in values.items():
        if value not in (None, ""):
            env[key] = str(value)
        else:
            env.pop(key, None)
    return env


def _run_pg(args: list[str], what: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, env=pg_env(), capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what}失败（{Path(args[0]).name} 退出码 {result.returncode}）：{result.stderr.strip()[-2000:]}")
    return result


def _pg_connect() -> Any:
    """A connection of its own (not Django's, which may be inside a transaction)."""
    return connection.get_new_connection(connection.get_connection_params())


def _pg_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _pg_toc_tables(dump: Path) -> set[str]:
    """Tables whose data the custom-format dump holds (``pg_restore --list``)."""
    listing = _run_pg([pg_tool("pg_restore"), "--list", str(dump)], "读取数据库转储目录", timeout=600).stdout
    out = set()
    for line in listing.splitlines():
        parts = line.split()
        # "1234; 0 16384 TABLE DATA public servicecenter_person owner"
        if len(parts) >= 7 and parts[3:5] == ["TABLE", "DATA"]:
            out.add(parts[6])
    return out


# --- database snapshot --------------------------------------------------------------------------


def _applied_migrations(cursor: Any) -> dict[str, list[str]]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    out: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        out.setdefault(app, []).append(name)
    return out


def _dump_postgresql(target: Path, timings: Timings) -> tuple[dict[str, int], dict[str, list[str]], str]:
    conn = _pg_connect()
    try:
        conn.autocommit = False
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            with timings.phase("统计行数"):
                tables = _pg_tables(cursor)
                counts = {}
                for table in tables:
                    cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608 — a quoted identifier
                    counts[table] = cursor.fetchone()[0]
                migrations = _applied_migrations(cursor) if "django_migrations" in counts else {}
            with timings.phase("导出数据库"):
                _run_pg([pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password",
                         f"--file={target}"], "导出数据库 (pg_dump)")
        conn.rollback()
    finally:
        conn.close()
    with timings.phase("校验转储"):
        listed = _pg_toc_tables(target)
        missing = sorted(set(counts) - listed)
        if missing:
            raise BackupError(f"数据库转储不完整：缺少表 {', '.join(missing[:10])}。")
    return counts, migrations, server_version


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in tables}  # noqa: S608


def _dump_sqlite(target: Path, timings: Timings) -> tuple[dict[str, int], dict[str, list[str]], str]:
    if connection.in_atomic_block:
        # SQLite's backup would wait for this connection's own open transaction for ever.
        raise BackupError("SQLite 数据库的备份不能在数据库事务中运行。")
    with timings.phase("导出数据库"):
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
        finally:
            copy.close()
    with timings.phase("校验转储"):
        copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise BackupError(f"数据库副本完整性检查未通过：{ok}")
            counts = _sqlite_counts(copy)
            migrations = _applied_migrations(copy.cursor()) if "django_migrations" in counts else {}
        finally:
            copy.close()
    return counts, migrations, sqlite3.sqlite_version


# --- archive members ----------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """A file read through, its SHA-256 and size kept (tarfile reads exactly ``size`` bytes)."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.sha = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of every regular file under MEDIA_ROOT, sorted, skipping MEDIA_SKIP."""
    if not root.exists():
        return
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        if rel == Path("."):
            dirs[:] = [d for d in dirs if d not in MEDIA_SKIP and not d.startswith(STAGING_PREFIX)]
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield MEDIA_PREFIX + (rel / name).as_posix().removeprefix("./"), path


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        stat = os.fstat(f.fileno())
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mtime = int(stat.st_mtime)
        info.mode = 0o600
        reader = _Hashing(f)
        tar.addfile(info, reader)
    return {"size": reader.size, "sha256": reader.sha.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _safe_member(member: tarfile.TarInfo) -> str:
    """The member's name, if it is one a backup writes: a regular file at a relative path."""
    name = member.name
    path = PurePosixPath(name)
    if not member.isreg() or path.is_absolute() or ".." in path.parts or not name:
        raise BackupError(f"备份文件中有不应出现的条目：{name!r}（不是本系统写出的备份，或已被改动）。")
    if name not in (MANIFEST, MANIFEST_SUM, PG_DUMP, SQLITE_DUMP) and not name.startswith(MEDIA_PREFIX):
        raise BackupError(f"备份文件中有不应出现的条目：{name!r}。")
    return name


def _read_archive(path: Path, extract_to: Path | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Read every member once: (manifest, {name: {size, sha256}} as found). With ``extract_to``,
    also write each member below that folder."""
    found: dict[str, dict[str, Any]] = {}
    manifest_bytes = b""
    manifest_sum = ""
    try:
        with tarfile.open(path, "r:") as tar:
            for member in tar:
                name = _safe_member(member)
                if name in found:
                    raise BackupError(f"备份文件中条目重复：{name}")
                source = tar.extractfile(member)
                assert source is not None
                sha = hashlib.sha256()
                size = 0
                target = None
                if name == MANIFEST:
                    manifest_bytes = source.read()
                    sha.update(manifest_bytes)
                    size = len(manifest_bytes)
                elif name == MANIFEST_SUM:
                    manifest_sum = source.read().decode("ascii", "replace").strip()
                    continue
                else:
                    dest = extract_to / name if extract_to is not None else None
                    if dest is not None:
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        target = dest.open("wb")
                    try:
                        while chunk := source.read(CHUNK):
                            sha.update(chunk)
                            size += len(chunk)
                            if target:
                                target.write(chunk)
                    finally:
                        if target and dest is not None:
                            target.close()
                            os.utime(dest, (member.mtime, member.mtime))
                found[name] = {"size": size, "sha256": sha.hexdigest()}
    except (tarfile.TarError, EOFError) as exc:
        raise BackupError(f"备份文件无法读取（不完整或已损坏）：{exc}") from exc
    if not manifest_bytes:
        raise BackupError("备份文件中没有清单 manifest.json：不是本系统写出的备份，或文件不完整。")
    if manifest_sum != found[MANIFEST]["sha256"]:
        raise BackupError("备份清单的校验和不符：备份文件已损坏。")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise BackupError(f"备份清单无法解析：{exc}") from exc
    del found[MANIFEST]
    return manifest, found


def _compare(manifest: dict[str, Any], found: dict[str, dict[str, Any]]) -> None:
    if not isinstance(manifest.get("format"), int) or manifest["format"] > FORMAT:
        raise BackupError(f"备份格式版本 {manifest.get('format')!r} 比本程序支持的 {FORMAT} 新：请先升级程序再恢复。")
    expected: dict[str, dict[str, Any]] = manifest.get("files", {})
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    wrong = sorted(n for n in set(expected) & set(found) if expected[n] != found[n])
    problems = []
    if wrong:
        problems.append(f"{len(wrong)} 个文件校验和或大小不符（如 {wrong[0]}）")
    if missing:
        problems.append(f"缺少 {len(missing)} 个文件（如 {missing[0]}）")
    if extra:
        problems.append(f"多出 {len(extra)} 个清单之外的文件（如 {extra[0]}）")
    if problems:
        raise BackupError("备份文件与清单不符：" + "；".join(problems) + "。")


def verify_archive(path: Path) -> dict[str, Any]:
    """Re-read the whole archive and compare every member with the manifest; the manifest."""
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    manifest, found = _read_archive(path)
    _compare(manifest, found)
    return manifest


# --- backup -------------------------------------------------------------------------------------


def archive_name(now: datetime.datetime) -> str:
    return f"{ARCHIVE_PREFIX}{timezone.localtime(now):%Y%m%d-%H%M%S}{ARCHIVE_SUFFIX}"


def create_backup(output: Path | None = None, *, keep_daily: int | None = None, keep_monthly: int | None = None,
                  log: Log = lambda _: None, now: datetime.datetime | None = None) -> BackupResult:
    """Write one verified archive into ``output`` (a folder, default BACKUP_DIR; or a file name ending
    in .tar), then apply the retention rule to the folder's archives."""
    now = now or timezone.now()
    timings = Timings()
    output = Path(output or settings.BACKUP_DIR)
    if output.suffix == ARCHIVE_SUFFIX:
        folder, final = output.parent, output
    else:
        folder = output
        final = folder / archive_name(now)
        n = 1
        while final.exists():
            n += 1
            final = folder / archive_name(now).replace(ARCHIVE_SUFFIX, f"-{n}{ARCHIVE_SUFFIX}")
    if final.exists():
        raise BackupError(f"备份文件已存在，不会覆盖：{final}")
    folder.mkdir(parents=True, exist_ok=True)
    media_root = Path(settings.MEDIA_ROOT)
    vendor = _vendor()
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"不支持的数据库：{vendor}")

    work = Path(tempfile.mkdtemp(prefix=".backup-", dir=folder))
    partial = final.with_name(final.name + ".partial")
    try:
        os.chmod(work, 0o700)
        dump_name = PG_DUMP if vendor == "postgresql" else SQLITE_DUMP
        dump = work / dump_name
        log("导出数据库 …")
        if vendor == "postgresql":
            counts, migrations, server_version = _dump_postgresql(dump, timings)
        else:
            counts, migrations, server_version = _dump_sqlite(dump, timings)
        files: dict[str, dict[str, Any]] = {}
        log(f"数据库：{len(counts)} 张表，{sum(counts.values()):,} 行；打包文件 …")
        with timings.phase("打包"):
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:", format=tarfile.PAX_FORMAT) as tar:
                files[dump_name] = _add_file(tar, dump_name, dump)
                for name, path in _media_files(media_root):
                    try:
                        files[name] = _add_file(tar, name, path)
                    except FileNotFoundError:
                        continue  # removed since the walk (an expired export): not in the snapshot either
                registry = model_tables()
                manifest = {
                    "format": FORMAT,
                    "created_at": timezone.localtime(now).isoformat(timespec="seconds"),
                    "hostname": socket.gethostname(),
                    "application": application_version(),
                    "django": django.get_version(),
                    "database": {"vendor": vendor, "server_version": server_version},
                    "migrations": migrations,
                    "tables": counts,
                    "models": {t: registry[t] for t in counts if t in registry},
                    "files": files,
                    "media": {"files": sum(1 for n in files if n.startswith(MEDIA_PREFIX)),
                              "bytes": sum(f["size"] for n, f in files.items() if n.startswith(MEDIA_PREFIX))},
                    "encryption_key_fingerprint": encryption.key_fingerprint(),
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
                _add_bytes(tar, MANIFEST, data)
                _add_bytes(tar, MANIFEST_SUM, (hashlib.sha256(data).hexdigest() + "\n").encode())
                raw.flush()
            with open(partial, "rb") as f:
                os.fsync(f.fileno())
        log("校验备份文件 …")
        with timings.phase("校验备份文件"):
            verify_archive(partial)
        os.replace(partial, final)
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY)
            os.fsync(dir_fd)
            os.close(dir_fd)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if output.suffix == ARCHIVE_SUFFIX:
        return BackupResult(final, manifest, timings, [])  # an archive named by hand: no retention
    pruned = prune_backups(folder, keep_daily=settings.BACKUP_KEEP_DAILY if keep_daily is None else keep_daily,
                           keep_monthly=settings.BACKUP_KEEP_MONTHLY if keep_monthly is None else keep_monthly,
                           keep=final)
    return BackupResult(final, manifest, timings, pruned)


# --- retention ----------------------------------------------------------------------------------


def archive_time(name: str) -> datetime.datetime | None:
    match = ARCHIVE_RE.match(name)
    if not match:
        return None
    return datetime.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")


def select_kept(names: Iterable[str], *, keep_daily: int, keep_monthly: int) -> set[str]:
    """The archives to keep: the newest of each of the ``keep_daily`` most recent days that have one,
    and the newest of each of the ``keep_monthly`` most recent months. Names that are not archives
    of this system are not considered (and never deleted)."""
    dated = sorted(((t, n) for n in names if (t := archive_time(n)) is not None), reverse=True)
    kept: set[str] = set()
    for key, limit in ((lambda t: t.date(), keep_daily), (lambda t: (t.year, t.month), keep_monthly)):
        seen: list[Any] = []
        for stamp, name in dated:
            period = key(stamp)
            if period in seen:
                continue
            if len(seen) >= limit:
                break
            seen.append(period)
            kept.add(name)
    return kept


def prune_backups(folder: Path, *, keep_daily: int, keep_monthly: int, keep: Path | None = None) -> list[Path]:
    names = [p.name for p in folder.iterdir() if p.is_file() and archive_time(p.name)]
    kept = select_kept(names, keep_daily=keep_daily, keep_monthly=keep_monthly)
    if keep is not None:
        kept.add(keep.name)
    deleted = []
    for name in sorted(set(names) - kept):
        (folder / name).unlink(missing_ok=True)
        deleted.append(folder / name)
    return deleted


# --- restore ------------------------------------------------------------------------------------


def database_tables() -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _media_entries(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.name not in MEDIA_SKIP and not p.name.startswith(STAGING_PREFIX))


def _check_schema(manifest: dict[str, Any]) -> bool:
    """Refuses an archive from a newer schema; True when it is older than the code (migrate after)."""
    installed = {config.label for config in apps.get_app_configs()}
    on_disk = code_migrations()
    archived = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    newer = sorted(f"{app}.{name}" for app, name in archived if app in installed and (app, name) not in on_disk)
    if newer:
        raise BackupError("备份来自较新的程序版本：其数据库结构含有本程序没有的迁移 "
                          f"{', '.join(newer[:5])}{' 等' if len(newer) > 5 else ''}。请先把程序升级到备份时的版本（或更新）再恢复。")
    return bool({m for m in on_disk if m[0] in installed} - archived)


def _check_key(manifest: dict[str, Any]) -> None:
    if manifest.get("encryption_key_fingerprint") == encryption.key_fingerprint():
        return
    hint = ""
    if settings.FIELD_ENCRYPTION_KEY == settings.DEV_FIELD_ENCRYPTION_KEY:
        hint = "当前没有设置 FIELD_ENCRYPTION_KEY（用的是开发默认值）。"
    raise BackupError("字段加密密钥与备份时的不同：用当前的 FIELD_ENCRYPTION_KEY 无法解密备份中的身份证号。" + hint
                      + "请在环境变量（/etc/servicecenter/servicecenter.env）中设置备份时使用的密钥后再恢复；"
                        "密钥不在备份文件中，须从另行保管处取得。未写入任何数据。")


def _person_columns() -> tuple[str, str]:
    from .models import Person

    return Person._meta.db_table, str(Person._meta.get_field("id_number_encrypted").column)


def _sample_tokens_sqlite(dump: Path) -> list[str]:
    table, column = _person_columns()
    conn = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute(
            f"SELECT {_quote(column)} FROM {_quote(table)} LIMIT {KEY_SAMPLE_ROWS}")]  # noqa: S608
    except sqlite3.Error:
        return []
    finally:
        conn.close()


def _sample_tokens_postgresql(dump: Path) -> list[str]:
    """A few archived ID numbers, read from the dump itself (``pg_restore --data-only -f -``) before
    anything is restored."""
    table, column = _person_columns()
    args = [pg_tool("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(dump)]
    tokens: list[str] = []
    with subprocess.Popen(args, env=pg_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,  # noqa: S603
                          text=True) as proc:
        assert proc.stdout is not None
        index = None
        for line in proc.stdout:
            if index is None:
                match = re.match(r"COPY \S+ \((.*)\) FROM stdin;", line)
                if match:
                    columns = [c.strip().strip('"') for c in match.group(1).split(",")]
                    if column not in columns:
                        break
                    index = columns.index(column)
                continue
            if line.startswith("\\."):
                break
            tokens.append(line.rstrip("\n").split("\t")[index])
            if len(tokens) >= KEY_SAMPLE_ROWS:
                break
        proc.kill()
    return tokens


def _check_decrypts(tokens: list[str]) -> None:
    bad = sum(1 for t in tokens if not encryption.can_decrypt(t))
    if bad:
        raise BackupError(f"字段加密密钥无法解密备份中的身份证号（抽查 {len(tokens)} 条，{bad} 条失败）："
                          "当前的 FIELD_ENCRYPTION_KEY 不是这些数据加密时所用的密钥。请设置正确的密钥后再恢复。未写入任何数据。")


def _restore_postgresql(dump: Path, work: Path) -> None:
    listing = _run_pg([pg_tool("pg_restore"), "--list", str(dump)], "读取数据库转储目录").stdout
    # A database owner who is not a superuser may create pg_trgm (a trusted extension) but not
    # comment on it: the comment is left out, everything else is restored.
    kept = [line for line in listing.splitlines() if " COMMENT - EXTENSION " not in line]
    (work / "restore.list").write_text("\n".join(kept) + "\n")
    _run_pg([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             f"--use-list={work / 'restore.list'}", f"--dbname={pg_env()['PGDATABASE']}", str(dump)],
            "恢复数据库 (pg_restore)")


def _restore_sqlite(dump: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _wipe_database(tables: Iterable[str]) -> None:
    """Back to the empty database the restore started from (it refused any other)."""
    connection.close()
    if _vendor() == "sqlite":
        connection.ensure_connection()
        empty = sqlite3.connect(":memory:")
        try:
            empty.backup(connection.connection)
        finally:
            empty.close()
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(table)} CASCADE")


def _current_counts() -> dict[str, int]:
    connection.close()  # a fresh connection sees the restored schema
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def restore_backup(path: Path, *, log: Log = lambda _: None) -> RestoreResult:
    """Restore ``path`` into the (empty) default database and (empty) MEDIA_ROOT, then verify."""
    timings = Timings()
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    vendor = _vendor()
    media_root = Path(settings.MEDIA_ROOT)

    with timings.phase("检查目标"):
        tables = database_tables()
        if tables:
            raise BackupError(f"目标数据库不是空的：已有 {len(tables)} 张表（如 {', '.join(tables[:3])}）。"
                              "恢复只写入新建的空数据库，不会覆盖已有数据：请新建一个空数据库（createdb）并把 DATABASE_URL 指向它，"
                              "不要先运行 migrate。")
        entries = _media_entries(media_root)
        if entries:
            raise BackupError(f"附件目录 MEDIA_ROOT（{media_root}）不是空的：已有 {', '.join(entries[:3])} 等。"
                              "恢复只写入空目录，不会覆盖已有文件：请换一个空目录或先把它移走。")

    media_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))
    restored_db = False
    moved: list[Path] = []
    try:
        log("读取并校验备份文件 …")
        with timings.phase("读取并校验备份文件"):
            manifest, found = _read_archive(path, extract_to=work)
            _compare(manifest, found)
        archived_vendor = manifest.get("database", {}).get("vendor")
        if archived_vendor != vendor:
            raise BackupError(f"备份来自 {archived_vendor} 数据库，当前数据库是 {vendor}：只能恢复到同一种数据库。")
        older = _check_schema(manifest)
        _check_key(manifest)
        dump = work / (PG_DUMP if vendor == "postgresql" else SQLITE_DUMP)
        with timings.phase("抽查解密"):
            tokens = _sample_tokens_postgresql(dump) if vendor == "postgresql" else _sample_tokens_sqlite(dump)
            _check_decrypts(tokens)

        log("恢复数据库 …")
        with timings.phase("恢复数据库"):
            if database_tables():
                raise BackupError("目标数据库在恢复开始前被写入了数据，已中止。")
            restored_db = True
            if vendor == "postgresql":
                _restore_postgresql(dump, work)
            else:
                _restore_sqlite(dump)
        if vendor == "postgresql":
            with timings.phase("更新统计信息 (ANALYZE)"):
                connection.close()
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")

        log("放回附件与导出文件 …")
        with timings.phase("放回文件"):
            staged_media = work / MEDIA_PREFIX.rstrip("/")
            if staged_media.exists():
                for entry in sorted(staged_media.iterdir()):
                    target = media_root / entry.name
                    os.rename(entry, target)  # the same file system: the staging folder is inside MEDIA_ROOT
                    moved.append(target)

        log("核对行数与文件校验和 …")
        with timings.phase("核对"):
            counts = _current_counts()
            expected = manifest.get("tables", {})
            differ = sorted(t for t in set(expected) | set(counts) if expected.get(t) != counts.get(t))
            if differ:
                t = differ[0]
                raise BackupError(f"恢复后的数据与清单不符：{len(differ)} 张表行数不同（如 {t}：清单 {expected.get(t)}，"
                                  f"恢复后 {counts.get(t)}）。")
            for name, info in manifest["files"].items():
                if not name.startswith(MEDIA_PREFIX):
                    continue
                final = media_root / name.removeprefix(MEDIA_PREFIX)
                if not final.is_file() or final.stat().st_size != info["size"] or _file_sha256(final) != info["sha256"]:
                    raise BackupError(f"恢复后的文件与清单不符：{name}")
    except BaseException:
        if restored_db:
            with contextlib.suppress(Exception):
                _wipe_database(database_tables())
        for target in moved:
            if target.is_dir():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
        connection.close()
    return RestoreResult(manifest, timings, older)
