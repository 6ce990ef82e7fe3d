"""Large exports run in the background: threshold, job page, progress, worker, download, privacy."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from servicecenter import exportjobs
from servicecenter.models import AuditEvent, ExportJob, Parameter, Person
from servicecenter.staff import staff_set_roles
from tests.conftest import login, make_employer, make_person

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATA_START = 4  # title, unit/period, header, then data from row 4


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people(users: dict, units: dict) -> list[Person]:
    """Five people under district 330602 (d1_sup's scope) and one in the other district."""
    clerk = users["s11_clerk"]
    out = [make_person(clerk, name=f"甲{i}", is_union_member=bool(i % 2)) for i in range(3)]
    out += [make_person(users["s12_clerk"], name=f"乙{i}") for i in range(2)]
    make_person(users["s21_clerk"], name="外区人员")
    return out


def set_threshold(units: dict, rows: int, code: str = "330600") -> None:
    Parameter.objects.update_or_create(key="exports.background_rows", org_unit=units[code], year=None,
                                       defaults={"value": str(rows)})


def run_worker(monkeypatch: Any) -> None:
    """Run the real database worker once over everything queued, inside the test transaction."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def sheet_rows(content: bytes) -> list[tuple]:
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return list(ws.iter_rows(values_only=True))


def data_names(rows: list[tuple]) -> list[str]:
    """The 姓名 column of the data rows (between the header and the 合计 row)."""
    out = []
    for row in rows[DATA_START - 1:]:
        if row[0] == "合计":
            break
        out.append(row[1])
    return out


def test_small_export_is_the_file_itself(people: list, units: dict, client_for: Any) -> None:
    set_threshold(units, 10)
    response = client_for("d1_sup").get("/people/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    names = data_names(sheet_rows(b"".join(response.streaming_content)))
    assert sorted(names) == sorted(p.name for p in people)
    assert not ExportJob.objects.exists()


def test_threshold_is_exclusive(people: list, units: dict, client_for: Any) -> None:
    set_threshold(units, 5)  # exactly five rows in scope: still direct
    assert client_for("d1_sup").get("/people/export.xlsx").status_code == 200
    set_threshold(units, 4)
    assert client_for("d1_sup").get("/people/export.xlsx").status_code == 302


def test_large_export_becomes_a_job_and_the_worker_builds_it(people: list, units: dict, users: dict,
                                                             client_for: Any, monkeypatch: Any) -> None:
    set_threshold(units, 3)
    client = client_for("d1_sup")
    response = client.get("/people/export.xlsx")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/exports/{job.pk}/"
    assert job.user == users["d1_sup"] and job.org_unit == units["330602"]
    assert job.status == ExportJob.Status.QUEUED and job.register == "servicecenter.people"
    assert DBTaskResult.objects.filter(id=job.task_id).exists()

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<progress" in page.content.decode() and f"/exports/{job.pk}/status.json" in page.content.decode()
    state = client.get(f"/exports/{job.pk}/status.json").json()
    assert state["status"] == "queued" and state["finished"] is False and state["download_url"] is None
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404  # not built yet

    run_worker(monkeypatch)

    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.row_count == 5 and job.rows_done == 5 and job.size > 0
    path = exportjobs.export_path(job)
    assert path.is_file() and path.parent.name == "exports" and job.pk.hex not in path.name
    state = client.get(f"/exports/{job.pk}/status.json").json()
    assert state == {**state, "status": "done", "finished": True, "percent": 100, "row_count": 5,
                     "download_url": f"/exports/{job.pk}/download/"}

    before = AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT).count()
    download = client.get(state["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == XLSX
    rows = sheet_rows(b"".join(download.streaming_content))
    assert rows[0][0] == "职工信息登记名册"
    assert data_names(rows) == [p.name for p in sorted(people, key=lambda p: p.pk)]  # scope: no 外区人员
    assert rows[2 + 5 + 1][1] == "共 5 条"
    event = AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT).latest("id")
    assert AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT).count() == before + 1
    assert event.username == "d1_sup" and str(job.pk) in event.detail


def test_worker_applies_the_same_filters(people: list, units: dict, client_for: Any, monkeypatch: Any) -> None:
    set_threshold(units, 0)
    client = client_for("d1_sup")
    response = client.get("/people/export.xlsx?is_union_member=true&org_unit=" + str(units["330602001"].pk))
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert "is_union_member=true" in job.query
    assert exportjobs.describe_filters(job) == f"登记单位：{units['330602001'].name}；工会会员：是"
    assert "工会会员：是" in client.get(f"/exports/{job.pk}/").content.decode()
    run_worker(monkeypatch)
    download = client.get(f"/exports/{job.pk}/download/")
    expected = Person.objects.filter(org_unit=units["330602001"], is_union_member=True).order_by("id")
    assert data_names(sheet_rows(b"".join(download.streaming_content))) == [p.name for p in expected]
    assert len(expected) == 1


def test_employer_export_goes_to_the_background_too(units: dict, client_for: Any, monkeypatch: Any) -> None:
    for _ in range(3):
        make_employer(units["330602001"])
    make_employer(units["330604001"])  # other district
    set_threshold(units, 1, code="330602")  # the district's own setting applies
    client = client_for("d1_sup")
    assert client.get("/employers/export.xlsx").status_code == 302
    run_worker(monkeypatch)
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.DONE and job.row_count == 3
    rows = sheet_rows(b"".join(client.get(f"/exports/{job.pk}/download/").streaming_content))
    assert rows[0][0] == "用人单位登记名册"


def test_immediate_backend_runs_in_the_request(people: list, units: dict, client_for: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    set_threshold(units, 3)
    client = client_for("d1_sup")
    response = client.get("/people/export.xlsx")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.status == ExportJob.Status.DONE
    assert client.get(f"/exports/{job.pk}/").status_code == 200
    assert client.get(f"/exports/{job.pk}/download/").status_code == 200


def test_asking_again_while_pending_joins_the_job(people: list, units: dict, client_for: Any) -> None:
    set_threshold(units, 3)
    client = client_for("d1_sup")
    first = client.get("/people/export.xlsx")
    second = client.get("/people/export.xlsx")
    assert first["Location"] == second["Location"]
    assert ExportJob.objects.count() == 1
    assert client.get("/people/export.xlsx?sex=M").status_code == 302
    assert ExportJob.objects.count() == 2  # a different filter is a different job


def test_only_the_requester_sees_the_job(people: list, units: dict, users: dict, client_for: Any,
                                         monkeypatch: Any) -> None:
    set_threshold(units, 3)
    client_for("d1_sup").get("/people/export.xlsx")
    run_worker(monkeypatch)
    job = ExportJob.objects.get()
    for username in ["city_sup", "auditor", "d2_sup", "s11_clerk", "secaudit"]:
        other = client_for(username)
        for suffix in ["", "status.json", "download/"]:
            assert other.get(f"/exports/{job.pk}/{suffix}").status_code == 404, (username, suffix)
        assert str(job.pk) not in other.get("/exports/").content.decode()
    assert exportjobs.export_path(job).is_file()


@pytest.mark.parametrize("bad", ["abc", "123", "00000000-0000-0000-0000-00000000000g", "..%2F..%2Fetc",
                                 "3f2b8c1e-5d4a-4b6f-9e7d-1a2b3c4d5e6f", "%00", "a" * 300])
def test_malformed_or_unknown_job_ids_are_not_found(bad: str, users: dict) -> None:
    client = login(users["d1_sup"])
    for suffix in ["", "status.json", "download/"]:
        assert client.get(f"/exports/{bad}/{suffix}").status_code == 404


def test_job_runs_with_the_rights_of_now(people: list, units: dict, users: dict, client_for: Any,
                                         monkeypatch: Any) -> None:
    set_threshold(units, 3)
    client = client_for("d1_sup")
    client.get("/people/export.xlsx")
    staff_set_roles(user=users["d1_sup"], roles=[])  # lost the exporting role before the worker ran
    run_worker(monkeypatch)
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED and job.error and not job.stored_name
    assert not list(exportjobs.export_dir().glob("*.xlsx*"))


def test_progress_is_written_while_rows_stream(people: list, units: dict, users: dict, monkeypatch: Any) -> None:
    seen: list[int] = []
    monkeypatch.setattr(exportjobs, "PROGRESS_EVERY_ROWS", 1)
    monkeypatch.setattr(exportjobs, "PROGRESS_MIN_SECONDS", 0)
    real_update = exportjobs.ExportJob.objects.filter

    def spy(*args: Any, **kwargs: Any) -> Any:
        qs = real_update(*args, **kwargs)
        original = qs.update

        def update(**fields: Any) -> int:
            if set(fields) == {"rows_done"}:
                seen.append(fields["rows_done"])
            return original(**fields)

        qs.update = update
        return qs

    set_threshold(units, 0)
    # Fetch two rows at a time, so progress is written between fetches of the open query.
    register = exportjobs.PERSON_EXPORT.register
    monkeypatch.setattr(register, "rows", lambda qs: type(register).rows(register, qs, chunk_size=2))
    job = exportjobs.export_job_enqueue(user=users["d1_sup"], source=exportjobs.PERSON_EXPORT, query="")
    monkeypatch.setattr(exportjobs.ExportJob.objects, "filter", spy)
    assert exportjobs.export_job_run(job.pk) == 5
    assert seen == [1, 2, 3, 4, 5]
    assert exportjobs.export_job_run(job.pk) == 0  # a finished job is never built twice


def test_prune_removes_old_jobs_and_their_files(people: list, units: dict, users: dict, client_for: Any) -> None:
    set_threshold(units, 0)
    job = exportjobs.export_job_enqueue(user=users["d1_sup"], source=exportjobs.PERSON_EXPORT, query="")
    exportjobs.export_job_run(job.pk)
    job.refresh_from_db()
    path = exportjobs.export_path(job)
    assert path.is_file()
    assert exportjobs.prune_export_jobs() == 0
    assert exportjobs.prune_export_jobs(days=-1) == 1
    assert not path.exists() and not ExportJob.objects.exists()



# --- The fast row writer behind large exports (servicecenter/xlsxrows.py) ---------------------------

TRICKY_ROWS = [
    [1, "张三", "", " 前后空格 ", "a & b <c> \"d\" 'e'", "line\nbreak", "cr\r\nlf", "=1+2", "=", "#N/A", "#自定义",
     "-5", "+86 138", "@x", "ctrl\x01char" if False else "tab\there", True, False, 0, -7, 2**53 + 1, 1.5,
     float("nan"), float("inf"), None, "x" * 40000],
    [2, __import__("datetime").date(2026, 2, 28), __import__("datetime").datetime(2026, 3, 1, 8, 30, 15),
     __import__("datetime").date(1900, 1, 1), __import__("decimal").Decimal("1234.50"),
     __import__("datetime").time(9, 45), __import__("datetime").timedelta(hours=5), "😀 emoji", "\u3000全角"],
    [],
    [None, None, "only third"],
]


def _cells(content: bytes) -> list[list[tuple]]:
    ws = load_workbook(io.BytesIO(content)).active
    # Style numbers may differ (the stream registers the date formats first); the formats may not.
    return [[(c.coordinate, c.value, c.data_type, c.number_format, c.font.b) for c in row if c.value is not None]
            for row in ws.iter_rows()]


def _write(rows: list, *, stream: bool) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from servicecenter.xlsxrows import RowStream

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    rs = RowStream.attach(ws) if stream else None
    assert (rs is not None) == stream
    ws.append(["header"])  # openpyxl's own path, before and after streamed rows
    styled = WriteOnlyCell(ws, value=12.5)
    styled.number_format = "#,##0.00"
    forced = WriteOnlyCell(ws, value="=SUM(A1)")
    forced.data_type = "s"
    for row in [*rows, [styled, forced, WriteOnlyCell(ws)]]:
        (rs.append if rs else ws.append)(row)
    ws.append(["footer", 1])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_row_stream_writes_what_openpyxl_writes() -> None:
    assert _cells(_write(TRICKY_ROWS, stream=True)) == _cells(_write(TRICKY_ROWS, stream=False))


def test_row_stream_refuses_what_openpyxl_refuses() -> None:
    from openpyxl.utils.exceptions import IllegalCharacterError

    for stream in (False, True):
        with pytest.raises(IllegalCharacterError):
            _write([["bad\x01char"]], stream=stream)
        with pytest.raises((TypeError, ValueError)):
            _write([[object()]], stream=stream)


def test_row_stream_batches_many_rows() -> None:
    rows = [[i, f"名{i}", i * 0.5] for i in range(1, 1300)]  # several batches
    assert _cells(_write(rows, stream=True)) == _cells(_write(rows, stream=False))
