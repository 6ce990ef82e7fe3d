"""``manage.py backup`` / ``restore``: a round trip loses nothing; every bad input is refused with a
Chinese message, a non-zero exit and nothing written.

The source database (an SQLite file, or a database of its own on the PostgreSQL test server) is
made and backed up once per module by ``tests/backup_probe.py``; every restore case then runs in one
more subprocess against one empty target, the refusals first (the target must still be empty after
each) and the good archive last. Django's start-up is the slow part of a subprocess, so there are two.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from servicecenter import backup, encryption
from servicecenter.models import Person
from tests.conftest import make_person

ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "tests" / "backup_probe.py"
OTHER_KEY = "another-field-encryption-key-of-enough-length-0123"
ENV_DROP = ("DATABASE_URL", "MEDIA_ROOT", "FIELD_ENCRYPTION_KEY", "SECRET_KEY", "DEBUG", "BACKUP_DIR")


class Target:
    """An empty database and media folder for ``manage.py restore`` in a subprocess."""

    def __init__(self, tmp_path: Path) -> None:
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.media = tmp_path / "media"
        self.vendor = connection.vendor
        db = settings.DATABASES["default"]
        if self.vendor == "sqlite":
            self.path = tmp_path / "db.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg

            self.name = f"restore_{uuid.uuid4().hex[:12]}"
            self.params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
            with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{self.name}"

    def drop(self) -> None:
        if self.vendor != "sqlite":
            import psycopg

            with psycopg.connect(dbname="postgres", autocommit=True, **self.params) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            import sqlite3

            if not self.path.exists():
                return []
            conn = sqlite3.connect(self.path)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(dbname=self.name, **self.params) as conn:
            return conn.execute(sql).fetchall()

    def tables(self) -> list[str]:
        if self.vendor == "sqlite":
            return [r[0] for r in self.query("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return [r[0] for r in self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def counts(self) -> dict[str, int]:
        return {t: self.query(f'SELECT count(*) FROM "{t}"')[0][0] for t in self.tables()}

    def media_files(self) -> dict[str, str]:
        if not self.media.exists():
            return {}
        return {p.relative_to(self.media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in self.media.rglob("*") if p.is_file()}

    def probe(self, *args: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
        env.update(DJANGO_SETTINGS_MODULE="servicecenter.settings", DATABASE_URL=self.url, MEDIA_ROOT=str(self.media))
        result = subprocess.run([sys.executable, str(PROBE), *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=600, check=False)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)



def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def write_archive(path: Path, contents: dict[str, bytes], manifest: dict | None = None) -> Path:
    """An archive with these members; with ``manifest``, a new manifest and a matching manifest.sha256."""
    contents = dict(contents)
    if manifest is not None:
        data = json.dumps(manifest, ensure_ascii=False).encode()
        contents[backup.MANIFEST] = data
        contents[backup.MANIFEST_SUM] = (hashlib.sha256(data).hexdigest() + "\n").encode()
    with tarfile.open(path, "w:") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def manifest_of(archive: Path) -> dict:
    return json.loads(members(archive)[backup.MANIFEST])


def fingerprint_under(key: str) -> str:
    with override_key(key):
        return encryption.key_fingerprint()


class override_key:  # noqa: N801 — used like a context manager
    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> None:
        self.old = settings.FIELD_ENCRYPTION_KEY
        settings.FIELD_ENCRYPTION_KEY = self.key

    def __exit__(self, *exc: object) -> None:
        settings.FIELD_ENCRYPTION_KEY = self.old



@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The source database with a person, an attachment and an export file, and its archive."""
    folder = tmp_path_factory.mktemp("source")
    target = Target(folder)
    try:
        info = target.probe("source", str(folder / "backups"))
    finally:
        target.drop()
    info["archive"] = Path(info["archive"])
    return info


def bad_archives(source: dict, folder: Path) -> dict[str, dict]:
    """Each refusal case: its archive, the key it is restored with, what the message must say."""
    contents = members(source["archive"])
    manifest = manifest_of(source["archive"])
    cases = {}

    damaged = dict(contents)
    data = bytearray(damaged[source["attachment"]])
    data[10] ^= 0xFF
    damaged[source["attachment"]] = bytes(data)
    cases["damaged"] = {"archive": write_archive(folder / "damaged.tar", damaged), "expect": "校验和或大小不符"}

    raw = source["archive"].read_bytes()
    (folder / "truncated.tar").write_bytes(raw[: len(raw) // 2])
    cases["truncated"] = {"archive": folder / "truncated.tar", "expect": "备份文件"}

    newer = json.loads(json.dumps(manifest))
    newer["migrations"]["servicecenter"].append("9999_from_a_newer_release")
    cases["newer schema"] = {"archive": write_archive(folder / "newer.tar", contents, newer),
                             "expect": "较新的程序版本：其数据库结构含有本程序没有的迁移 servicecenter.9999_from_a_newer_release"}

    fmt = json.loads(json.dumps(manifest))
    fmt["format"] = backup.FORMAT + 1
    cases["newer format"] = {"archive": write_archive(folder / "format.tar", contents, fmt), "expect": "备份格式版本"}

    cases["other key"] = {"archive": source["archive"], "key": OTHER_KEY,
                          "expect": "字段加密密钥与备份时的不同：用当前的 FIELD_ENCRYPTION_KEY 无法解密备份中的身份证号"}

    # A production archive (made under a real key) restored with no FIELD_ENCRYPTION_KEY set, i.e.
    # with the development default: the message says the key is not set.
    production = json.loads(json.dumps(manifest))
    production["encryption_key_fingerprint"] = fingerprint_under(OTHER_KEY)
    cases["missing key"] = {"archive": write_archive(folder / "production.tar", contents, production),
                            "expect": "当前没有设置 FIELD_ENCRYPTION_KEY"}

    # The fingerprint matches the key, but the ID numbers were encrypted under another one (a key
    # changed by hand at some point): the archived data itself is tried.
    cases["data under another key"] = {"archive": folder / "production.tar", "key": OTHER_KEY,
                                       "expect": "无法解密备份中的身份证号（抽查"}

    evil = dict(contents)
    evil["../../evil"] = b"x"
    cases["path outside"] = {"archive": write_archive(folder / "evil.tar", evil), "expect": "不应出现的条目"}

    cases["no such file"] = {"archive": folder / "nosuch.tar", "expect": "找不到备份文件"}
    return cases


@pytest.fixture(scope="module")
def restored(source, tmp_path_factory):
    """Every refusal case, then the good archive, restored into one empty target."""
    folder = tmp_path_factory.mktemp("restore")
    cases = bad_archives(source, folder)
    plan = [{"name": name, "archive": str(case["archive"]), "key": case.get("key")} for name, case in cases.items()]
    plan.append({"name": "good", "archive": str(source["archive"])})
    (folder / "cases.json").write_text(json.dumps(plan, ensure_ascii=False))
    target = Target(folder / "target")
    try:
        results = target.probe("restore", str(folder / "cases.json"))
    finally:
        target.drop()
    return {"cases": cases, "results": results, "folder": folder}


# --- round trip --------------------------------------------------------------------------------


def test_backup_writes_one_verified_archive_without_the_key(source):
    archive = source["archive"]
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # personal data: the owner only
    contents = members(archive)
    manifest = json.loads(contents[backup.MANIFEST])
    dump = backup.PG_DUMP if connection.vendor == "postgresql" else backup.SQLITE_DUMP
    # The heartbeat under MEDIA_ROOT/.health is not data and not in the archive.
    assert set(contents) == {backup.MANIFEST, backup.MANIFEST_SUM, dump, "media/exports/登记簿.xlsx", source["attachment"]}
    # Every table of every installed app's models is counted, many-to-many tables included.
    assert manifest["tables"]["servicecenter_person"] == 1
    assert set(backup.model_tables()) <= set(manifest["tables"])
    assert manifest["models"]["servicecenter_person"] == "servicecenter.Person"
    assert manifest["migrations"]["servicecenter"][0] == "0001_initial"
    for name, data in contents.items():
        if name in manifest["files"]:
            assert manifest["files"][name] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert hashlib.sha256(contents[backup.MANIFEST]).hexdigest() == contents[backup.MANIFEST_SUM].decode().strip()
    # The key is not in the archive, only its fingerprint; the ID number is stored encrypted.
    raw = archive.read_bytes()
    assert source["key"].encode() not in raw
    assert manifest["encryption_key_fingerprint"] == encryption.key_fingerprint()
    assert source["number"].encode() not in raw
    call_command("restore", str(archive), "--verify-only", verbosity=0, stdout=io.StringIO())


def test_restore_into_an_empty_database_loses_nothing(source, restored):
    result = restored["results"]["good"]
    assert result["error"] is None
    manifest = manifest_of(source["archive"])
    assert result["counts"] == manifest["tables"]
    assert result["media"] == {n.removeprefix("media/"): f["sha256"] for n, f in manifest["files"].items()
                               if n.startswith("media/")}
    # The restored ID number opens with the key (which came from the environment, not the archive).
    assert encryption.decrypt(result["tokens"][str(source["person"])]) == source["number"]
    assert result["migrate_check"] == 0  # at the code's schema: nothing left to migrate


@pytest.mark.parametrize("case", ["damaged", "truncated", "newer schema", "newer format", "other key", "missing key",
                                  "data under another key", "path outside", "no such file"])
def test_a_bad_archive_is_refused_and_nothing_is_written(restored, case):
    result = restored["results"][case]
    assert result["error"] is not None, f"{case}: restored"
    assert result["error"].startswith("恢复失败："), result["error"]
    assert restored["cases"][case]["expect"] in result["error"], result["error"]
    assert result["tables"] == [] and result["media"] == {}, f"{case}: something was written"
    if case == "path outside":
        assert not (restored["folder"].parent / "evil").exists()


def test_verify_only_finds_a_damaged_archive(source, tmp_path):
    contents = members(source["archive"])
    contents["media/exports/登记簿.xlsx"] = b"PK\x03\x04 changed"
    archive = write_archive(tmp_path / "damaged.tar", contents)
    with pytest.raises(CommandError, match="校验和或大小不符"):
        call_command("restore", str(archive), "--verify-only", verbosity=0)


# --- in-process: the test database -------------------------------------------------------------


def test_restore_refuses_a_database_that_is_not_empty(source, transactional_db, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_person(users["s11_clerk"])
    before = Person.objects.count()
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(source["archive"]), verbosity=0)
    assert Person.objects.count() == before
    assert not (tmp_path / "media").exists() or list((tmp_path / "media").iterdir()) == []


def test_restore_refuses_a_media_folder_that_is_not_empty(source, tmp_path):
    """Checked before anything else is touched (here the database is not empty either; the media
    folder's own message is asserted by restoring into an empty database: see the probe cases)."""
    target = Target(tmp_path)
    try:
        target.media.mkdir()
        (target.media / "已有文件.txt").write_text("keep me")
        plan = [{"name": "media", "archive": str(source["archive"])}]
        (tmp_path / "cases.json").write_text(json.dumps(plan))
        result = target.probe("restore", str(tmp_path / "cases.json"))["media"]
    finally:
        target.drop()
    assert "MEDIA_ROOT" in result["error"] and "不是空的" in result["error"]
    assert result["tables"] == []
    assert result["media"] == {"已有文件.txt": hashlib.sha256(b"keep me").hexdigest()}


def test_backup_refuses_to_leave_an_archive_it_cannot_verify(transactional_db, users, settings, tmp_path, monkeypatch):
    """As if the disk returned other bytes on reading back: the check fails, no archive is left."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make_person(users["s11_clerk"])
    real = backup._add_file

    def add_file(tar, name, path):  # noqa: ANN001, ANN202
        info = real(tar, name, path)
        return {**info, "sha256": "0" * 64}

    monkeypatch.setattr(backup, "_add_file", add_file)
    folder = tmp_path / "backups"
    with pytest.raises(CommandError, match="备份失败，未写入备份文件"):
        call_command("backup", "-o", str(folder), verbosity=0)
    assert [p.name for p in folder.iterdir()] == []


@pytest.mark.postgres
def test_backup_without_pg_dump_is_refused(transactional_db, settings, tmp_path):
    settings.PG_BIN = str(tmp_path / "no-postgresql-here")
    with pytest.raises(CommandError, match="找不到 pg_dump"):
        call_command("backup", "-o", str(tmp_path / "backups"), verbosity=0)
    assert list((tmp_path / "backups").iterdir()) == []


# --- retention ---------------------------------------------------------------------------------


def names(*stamps: str) -> list[str]:
    return [f"servicecenter-{s}.tar" for s in stamps]


def test_retention_keeps_the_newest_of_each_recent_day_and_month():
    archives = names("20260301-020000", "20260301-140000", "20260302-020000", "20260303-020000",
                     "20260215-020000", "20260228-020000", "20260131-020000", "20251231-020000")
    kept = backup.select_kept(archives + ["notes.txt", "servicecenter-latest.tar"], keep_daily=2, keep_monthly=3)
    assert kept == set(names("20260303-020000", "20260302-020000",  # the two newest days
                             "20260228-020000", "20260131-020000"))  # + the newest of Feb and Jan (March is in)
    assert backup.select_kept(archives, keep_daily=0, keep_monthly=0) == set()
    assert backup.select_kept(archives, keep_daily=10, keep_monthly=0) == set(archives) - set(names("20260301-020000"))


def test_backup_applies_retention_and_never_deletes_other_files(transactional_db, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    folder = tmp_path / "backups"
    folder.mkdir()
    old = names(*(f"202001{d:02d}-020000" for d in range(1, 29)))
    for name in [*old, "readme.txt", "servicecenter-by-hand.tar"]:
        (folder / name).write_text("x")
    call_command("backup", "-o", str(folder), "--keep-daily", "3", "--keep-monthly", "2", verbosity=0)
    left = sorted(p.name for p in folder.iterdir())
    new = [n for n in left if n not in old and n not in ("readme.txt", "servicecenter-by-hand.tar")]
    assert len(new) == 1  # today's archive
    assert "readme.txt" in left and "servicecenter-by-hand.tar" in left  # not archives of this system
    # 3 days: today, 28 and 27 January; 2 months: this one (today's) and January (its 28th).
    assert sorted(set(left) & set(old)) == names("20200127-020000", "20200128-020000")
