"""Run in a subprocess by tests/core/test_backup.py, against the database in DATABASE_URL and the
folder in MEDIA_ROOT (one process start for many cases: Django's start-up is the slow part).

    python tests/backup_probe.py source BACKUP_DIR     migrate, a person with an attachment, an export
                                                        file, a heartbeat; back up; print JSON
    python tests/backup_probe.py restore CASES.json    each case: ``manage.py restore`` with its key;
                                                        what the database and media folder hold after
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.base import CommandError  # noqa: E402
from django.db import connection  # noqa: E402


def media_files() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def tables() -> list[str]:
    connection.close()
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def source(folder: str) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from servicecenter import demo, health
    from servicecenter.attachments import attachment_add, storage_path
    from servicecenter.models import OrgUnit, User
    from servicecenter.orgunits import orgunit_save
    from servicecenter.people import person_create
    from servicecenter.roles import Role
    from servicecenter.staff import staff_set_roles

    call_command("migrate", verbosity=0, interactive=False)
    units: dict[str, OrgUnit] = {}
    for spec in demo.ORGANISATION:
        units[spec.code] = orgunit_save(OrgUnit(code=spec.code, name=spec.name, kind=spec.kind,
                                                parent=units[spec.parent] if spec.parent else None))
    station = units[next(s.code for s in demo.ORGANISATION if s.kind == "station")]
    clerk = User.objects.create(username="clerk", full_name="接待员", org_unit=station)
    staff_set_roles(user=clerk, roles=[Role.CLERK])
    number = demo.resident_id("330602", __import__("datetime").date(1980, 5, 17), 12, male=True)
    person = person_create(by=clerk, org_unit=station, id_number=number, name="备份测试人", phone="13800000000")
    upload = SimpleUploadedFile("证明.pdf", b"%PDF-1.4 backup test\n" * 50 + b"%%EOF\n", content_type="application/pdf")
    attachment = attachment_add(by=clerk, owner=person, upload=upload)
    exports = Path(settings.MEDIA_ROOT) / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    (exports / "登记簿.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    health.beat()  # a worker heartbeat: not data, not in the archive
    call_command("backup", "-o", folder, verbosity=0, stdout=io.StringIO())
    archive = next(Path(folder).glob("servicecenter-*.tar"))
    attachment_path = storage_path(attachment.stored_name).relative_to(settings.MEDIA_ROOT).as_posix()
    return {"archive": str(archive), "number": number, "person": person.pk, "attachment": f"media/{attachment_path}",
            "key": settings.FIELD_ENCRYPTION_KEY}


def restore(cases_file: str) -> dict:
    from servicecenter.models import Person

    out = {}
    default_key = settings.FIELD_ENCRYPTION_KEY
    for case in json.loads(Path(cases_file).read_text()):
        settings.FIELD_ENCRYPTION_KEY = case.get("key") or default_key
        result: dict = {"error": None}
        try:
            call_command("restore", case["archive"], verbosity=0, stdout=io.StringIO())
        except CommandError as exc:
            result["error"] = str(exc)
        result["tables"] = tables()
        result["media"] = media_files()
        if result["error"] is None:
            with connection.cursor() as cursor:
                counts = {}
                for table in result["tables"]:
                    cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                    counts[table] = cursor.fetchone()[0]
            result["counts"] = counts
            result["tokens"] = dict(Person.objects.values_list("pk", "id_number_encrypted"))
            try:
                call_command("migrate", check=True, verbosity=0)
                result["migrate_check"] = 0
            except SystemExit as exc:
                result["migrate_check"] = exc.code
        out[case["name"]] = result
    return out


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    json.dump(source(arg) if mode == "source" else restore(arg), sys.stdout, ensure_ascii=False)
