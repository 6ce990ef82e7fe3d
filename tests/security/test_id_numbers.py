"""No resident ID number in a URL, a log line or an audit row (issue 14 §2), and exact-ID lookups
audited (§3)."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from stdnum.cn import ric

from servicecenter import idquery
from servicecenter.models import AuditEvent, Parameter
from servicecenter.validators import mask_resident_id
from tests.conftest import make_person, new_id_number

CANDIDATE = re.compile(r"(?<!\d)\d{17}[\dX](?!\d)")


def plaintext_numbers(text: str) -> set[str]:
    """Checksum-valid resident ID numbers in ``text``."""
    return {m for m in CANDIDATE.findall(text or "") if ric.is_valid(m)}


def _search(client, path, **data):
    return client.post(path, {"_search": "1", **data})


def test_a_search_by_id_number_comes_back_sealed(client_for, station_person):
    number = station_person.id_number
    client = client_for("s11_clerk")
    response = _search(client, "/people/", q=number, sex="")
    assert response.status_code == 303
    assert number not in response["Location"]
    assert response["Location"].startswith("/people/?")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "张三丰" in html
    assert not plaintext_numbers(html.replace(f'value="{number}"', ""))  # only the search box keeps it


def test_a_typed_url_with_an_id_number_builds_only_sealed_links(client_for, station_person):
    number = station_person.id_number
    response = client_for("d1_sup").get(f"/people/?q={number}&sex=")
    assert response.status_code == 200
    html = response.content.decode()
    assert "张三丰" in html
    export_link = re.search(r'href="(/people/export\.xlsx[^"]*)"', html).group(1)
    assert number not in export_link and idquery.TOKEN_PREFIX in export_link


def test_a_forged_or_expired_token_finds_nothing(client_for, station_person, settings):
    client = client_for("s11_clerk")
    response = client.get("/people/?q=~gAAAAAforgedforgedforgedforgedforged")
    assert response.status_code == 200
    assert "张三丰" in response.content.decode()  # the bad token is dropped: the whole list


def test_lookup_is_by_post_and_not_found_goes_on_sealed(client_for, units):
    client = client_for("s11_clerk")
    number = new_id_number()
    # A GET with the number looks nothing up (and is redirected to the sealed form first).
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.LOOKUP).exists()
    response = client.post("/people/lookup/", {"id_number": number})
    assert response.status_code == 302
    assert number not in response["Location"]
    form = client.get(response["Location"])
    assert number in form.content.decode()  # the registration form is filled in
    row = AuditEvent.objects.get(event=AuditEvent.Event.LOOKUP)
    assert row.new_values == {"number": mask_resident_id(number), "found": False}
    assert row.username == "s11_clerk"


def test_an_out_of_scope_lookup_says_where_and_alerts_past_the_limit(client_for, users, units):
    other = make_person(users["s21_clerk"], name="李四")
    Parameter.objects.create(key="security.foreign_lookups_per_day", org_unit=units["330600"], value="2")
    client = client_for("s11_clerk")
    for _ in range(3):
        response = client.post("/people/lookup/", {"id_number": other.id_number})
        assert response.status_code == 200
    rows = AuditEvent.objects.filter(event=AuditEvent.Event.LOOKUP)
    assert rows.count() == 3
    assert all(r.new_values["in_scope"] is False and r.new_values["unit"] == other.org_unit.name for r in rows)
    alert = AuditEvent.objects.get(event=AuditEvent.Event.ALERT)
    assert alert.username == "s11_clerk" and "3 次" in alert.detail
    # The security auditor sees it on /audit/.
    assert "今日按身份证号查询辖区外人员已达" in client_for("secaudit").get("/audit/").content.decode()


def test_intake_lookup_is_audited(client_for, users):
    other = make_person(users["s21_clerk"], name="李四")
    client_for("s11_clerk").post("/petitions/new/", {"do": "lookup", "person_query": other.id_number})
    assert AuditEvent.objects.filter(event=AuditEvent.Event.LOOKUP, username="s11_clerk").exists()


def test_the_log_filter_masks_numbers_in_every_line():
    handler = next(h for h in logging.getLogger("django.server").handlers)
    stream = io.StringIO()
    old, handler.stream = handler.stream, stream
    try:
        number = new_id_number()
        logging.getLogger("django.server").warning('"GET /people/?q=%s HTTP/1.1" 303 0', number)
        logging.getLogger("django.request").warning("Not Found: /x/%s", number)
    finally:
        handler.stream = old
    assert number not in stream.getvalue()
    assert mask_resident_id(number) in stream.getvalue()
    root = logging.getLogger("django").handlers[0]
    assert any(f.__class__.__name__ == "MaskIdNumbers" for f in root.filters)


def _every_text_in_the_database() -> str:
    parts = []
    for model in apps.get_models():
        fields = [f.attname for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            parts.extend(str(v) for v in row if v)
    for session in Session.objects.all():
        parts.append(str(session.get_decoded()))
    return "\n".join(parts)


def test_no_plaintext_number_anywhere_after_searches_lookups_and_exports(client_for, users, units, settings,
                                                                          capsys):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    mine = make_person(users["s11_clerk"], name="王五")
    theirs = make_person(users["s21_clerk"], name="赵六")
    unknown = new_id_number()
    numbers = {mine.id_number, theirs.id_number, unknown}
    clerk, sup = client_for("s11_clerk"), client_for("d1_sup")
    downloads = []
    for number in numbers:
        for client in (clerk, sup):
            location = _search(client, "/people/", q=number)["Location"]
            client.get(location)
            client.post("/people/lookup/", {"id_number": number})
            _search(client, "/petitions/", person=number)
        sealed = _search(sup, "/people/", q=number)["Location"].split("?", 1)[1]
        downloads.append(b"".join(sup.get(f"/people/export.xlsx?{sealed}").streaming_content))
        downloads.append(b"".join(sup.get(f"/petitions/export.xlsx?{sealed.replace('q=', 'person=')}")
                                  .streaming_content))
    # A background export keeps the query sealed, and its worker still finds the person.
    Parameter.objects.create(key="exports.background_rows", org_unit=units["330600"], value="0")
    make_person(users["s11_clerk"], name="钱七")
    sealed = _search(sup, "/people/", q=mine.id_number)["Location"].split("?", 1)[1]
    job_page = sup.get(f"/people/export.xlsx?{sealed}")
    assert job_page.status_code == 302
    from servicecenter.models import ExportJob

    job = ExportJob.objects.get()
    assert job.row_count == 1
    download = sup.get(f"/exports/{job.pk}/download/")
    assert download.status_code == 200
    downloads.append(b"".join(download.streaming_content))
    assert mask_resident_id(mine.id_number) in sup.get(f"/exports/{job.pk}/").content.decode()

    text = _every_text_in_the_database()
    assert plaintext_numbers(text) == set(), "plaintext ID numbers in the database"
    assert any(mask_resident_id(mine.id_number) in r.detail for r in AuditEvent.objects.all())
    for content in downloads:
        import zipfile

        if not content:
            continue
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            xml = "".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
        assert plaintext_numbers(xml) == set(), "plaintext ID numbers in an export"
    captured = capsys.readouterr()
    assert plaintext_numbers(captured.out + captured.err) == set(), "plaintext ID numbers in the log"


@pytest.mark.parametrize("text", ["33060219800101123X", "330602 19800101 123x"])
def test_mask_text_masks_plain_and_sealed(text):
    compact = text.replace(" ", "").upper()
    assert idquery.mask_text(f"q={text}") == f"q={mask_resident_id(compact)}"
    assert idquery.mask_text(f"q={idquery.seal(compact)}") == f"q={mask_resident_id(compact)}"
