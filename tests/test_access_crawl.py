"""Crawl every URL pattern of the project and check the access rules that hold for all of them.

Each URL name needs an entry in RULES. A new URL without one fails ``test_every_url_has_a_rule``,
so no app can forget to think about who may reach it.
"""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from petitions import services as petition_services
from petitions.models import Category
from petitions.views import STEPS as PETITION_STEPS
from servicecenter import exportjobs
from servicecenter.attachments import attachment_add
from tests.conftest import login, make_employer, make_person

XSS_NAME = "<script>alert(1)</script>"


@dataclass(frozen=True)
class Rule:
    kind: str  # public | account | page | object | admin
    obj: str = ""  # object URLs: which fixture object fills <pk>
    post_only: bool = False


PAGE = Rule("page")
RULES: dict[str, Rule] = {
    "login": Rule("public"),
    "healthz": Rule("public"),
    "readyz": Rule("public"),
    "logout": Rule("account", post_only=True),
    "password_change": Rule("account"),
    "dashboard": PAGE,
    "reports": PAGE,
    "audit_log": PAGE,
    "person_list": PAGE,
    "person_new": PAGE,
    "person_lookup": PAGE,
    "person_attach": Rule("page", post_only=True),
    "person_export": PAGE,
    "person_detail": Rule("object", "person"),
    "person_edit": Rule("object", "person"),
    "person_reveal": Rule("object", "person", post_only=True),
    "person_print": Rule("object", "person"),
    "employer_list": PAGE,
    "employer_new": PAGE,
    "employer_export": PAGE,
    "employer_detail": Rule("object", "employer"),
    "employer_edit": Rule("object", "employer"),
    "attachment_download": Rule("object", "attachment"),
    "attachment_upload": Rule("object", "upload_target", post_only=True),
    "inbox": PAGE,
    "export_job_list": PAGE,
    "export_job": Rule("object", "export_job"),
    "export_job_status": Rule("object", "export_job"),
    "export_job_download": Rule("object", "export_job"),
    "petitions:landing": PAGE,
    "petitions:list": PAGE,
    "petitions:new": PAGE,
    "petitions:export": PAGE,
    "petitions:escalations": PAGE,
    "petitions:follow_ups": PAGE,
    "petitions:notices": PAGE,
    "petitions:tasks": PAGE,
    "petitions:task_new": PAGE,
    "petitions:task_detail": Rule("object", "task"),
    "petitions:task_report": Rule("object", "task_target", post_only=True),
    "petitions:detail": Rule("object", "petition"),
    "petitions:print": Rule("object", "petition"),
    "petitions:report_print": Rule("object", "petition"),
    "petitions:notice_print": Rule("object", "notice"),
    "petitions:notice_response": Rule("object", "notice", post_only=True),
    **{f"petitions:{step}": Rule("object", "petition", post_only=True) for step in PETITION_STEPS},
    "hardship:landing": PAGE,
    "legalaid:landing": PAGE,
    "jobs:landing": PAGE,
    "funds:landing": PAGE,
}


def _walk(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns)
        else:
            yield (f"{namespace}:{entry.name}".strip(":") if entry.name else f"{namespace}:<unnamed>"), entry


def all_urls() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def rule_for(name: str) -> Rule:
    if name.startswith("admin:"):
        return Rule("admin")
    return RULES[name]


@pytest.fixture
def objects(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = users["s11_clerk"]
    employer = make_employer(clerk.org_unit, name=f"{XSS_NAME}公司")
    person = make_person(clerk, name=XSS_NAME, employer=employer, address=XSS_NAME)
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    png.name = "证件.png"
    png.size = len(png.getvalue())
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("证件.png", png.getvalue(), content_type="image/png")
    attachment = attachment_add(by=clerk, owner=person, upload=upload)
    petition = petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=person, channel="visit",
        received_at=timezone.now(), headcount=1, category=Category.objects.first(), facts=XSS_NAME,
        request=XSS_NAME, employer=employer, is_confidential=True)
    notice = petition_services.notice_issue(petition=petition, by=clerk, kind="suggestion", content=XSS_NAME)
    task = petition_services.task_create(by=users["d1_sup"], title=XSS_NAME, content=XSS_NAME,
                                         due_date=timezone.localdate() + datetime.timedelta(days=5),
                                         units=[clerk.org_unit])
    # Export jobs belong to the user who asked (here the district supervisor); nobody else sees them.
    export_job = exportjobs.export_job_enqueue(user=users["d1_sup"], source=exportjobs.PERSON_EXPORT, query="")
    exportjobs.export_job_run(export_job.pk)
    return {"person": person, "employer": employer, "attachment": attachment, "petition": petition,
            "export_job": export_job,
            "notice": notice, "task": task, "task_target": task.targets.get()}


def url_of(name: str, objects: dict) -> str | None:
    rule = rule_for(name)
    if rule.kind == "object" and rule.obj == "notice":
        notice = objects["notice"]
        return reverse(name, kwargs={"pk": notice.petition_id, "notice_pk": notice.pk})
    if rule.kind == "object" and rule.obj == "upload_target":
        return reverse(name, kwargs={"key": "petitions.petition", "pk": objects["petition"].pk})
    if rule.kind == "object" and rule.obj == "export_job":
        return reverse(name, kwargs={"job_id": objects["export_job"].pk})
    if rule.kind == "object":
        return reverse(name, kwargs={"pk": objects[rule.obj].pk})
    try:
        return reverse(name)
    except Exception:  # noqa: BLE001 — admin URLs with arguments are covered by the admin index checks
        return None


def project_urls(objects: dict, kinds: set[str]) -> list[tuple[str, str, Rule]]:
    out = []
    for name, _ in all_urls():
        rule = rule_for(name)
        if rule.kind in kinds:
            url = url_of(name, objects)
            if url:
                out.append((name, url, rule))
    return out


def test_every_url_has_a_rule():
    missing = [f"{name} ({pattern.pattern})" for name, pattern in all_urls()
               if not name.startswith("admin:") and name not in RULES]
    assert not missing, "URLs without an access rule in tests/test_access_crawl.py: " + ", ".join(missing)
    stale = set(RULES) - {name for name, _ in all_urls()}
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_anonymous_is_sent_to_login_everywhere(objects):
    client = Client()
    for name, url, rule in project_urls(objects, {"account", "page", "object", "admin"}):
        if name in ("admin:login", "admin:logout"):
            continue
        method = client.post if rule.post_only else client.get
        response = method(url)
        location = response.get("Location", "")
        assert response.status_code == 302 and location.startswith(("/accounts/login/", "/admin/login/")), (
            name, response.status_code)


# The only URLs an anonymous caller may use. Adding one is a decision, not a side effect.
PUBLIC_URLS = {"login", "healthz", "readyz"}


def test_anonymous_is_served_on_the_public_urls_and_only_there(objects, settings):
    public = {name for name, rule in RULES.items() if rule.kind == "public"}
    assert public == PUBLIC_URLS
    client = Client()
    for name, url, _ in project_urls(objects, {"public"}):
        response = client.get(url)
        # /readyz may say 503 (no background worker in the test run); never a redirect to the login.
        assert response.status_code in (200, 503), (name, response.status_code)
        body = response.content.decode()
        assert XSS_NAME not in body and objects["person"].id_number_masked not in body, name
        assert objects["person"].name not in body, name


def test_out_of_scope_clerk_gets_404_on_every_object_url(objects, users):
    for username in ("s12_clerk", "s21_clerk", "d2_sup"):
        client = login(users[username])
        for name, url, rule in project_urls(objects, {"object"}):
            assert client.get(url).status_code in (404, 405), (username, name, "GET")
            # A GET-only object URL may refuse the method before looking the object up: 405
            # whether or not it exists, so nothing is confirmed either way.
            expected = (404,) if rule.post_only else (404, 405)
            assert client.post(url, {}).status_code in expected, (username, name, "POST")


def test_read_only_auditor_gets_403_or_405_on_every_post(objects, users):
    client = login(users["auditor"])
    for name, url, _ in project_urls(objects, {"page", "object"}):
        assert client.post(url, {"name": "改", "phone": "13800000000"}).status_code in (403, 405), name
    objects["person"].refresh_from_db()
    assert objects["person"].name == XSS_NAME


def test_system_admin_sees_no_person_or_case_data(objects, users):
    client = login(users["sysadmin"])
    for name, url, rule in project_urls(objects, {"page", "object"}):
        if rule.post_only:
            continue
        response = client.get(url)
        if response.status_code == 200:
            body = response.content.decode(errors="replace")
            assert "alert(1)" not in body and objects["person"].id_number_masked not in body, name
        else:
            assert response.status_code in (403, 404), (name, response.status_code)


def test_a_script_name_renders_escaped_everywhere(objects, users):
    for username in ("s11_clerk", "city_sup", "auditor"):
        client = login(users[username])
        for name, url, rule in project_urls(objects, {"page", "object"}):
            if rule.post_only:
                continue
            response = client.get(url, {"q": XSS_NAME})
            if response.get("Content-Type", "").startswith("text/html"):
                assert XSS_NAME not in response.content.decode(), (username, name)


def test_every_post_without_a_csrf_token_is_rejected(objects, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["city_sup"])
    for name, url, _ in project_urls(objects, {"account", "page", "object"}):
        assert client.post(url, {"name": "改"}).status_code == 403, name
    objects["person"].refresh_from_db()
    assert objects["person"].name == XSS_NAME


def test_admin_site_is_for_the_system_admin_only(users):
    for username in ("auditor", "city_sup", "s11_clerk", "secaudit"):
        response = login(users[username]).get("/admin/servicecenter/orgunit/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), username
    assert login(users["sysadmin"]).get("/admin/servicecenter/orgunit/").status_code == 200
