"""Item 4: online self-service (no login, /public/): submit a matter with a CAPTCHA that works
offline, get a tracking number and a lookup code, look the progress up later; rate limits per
address and per phone, a lockout after wrong codes, size and content checks on files — and a
lookup never shows another person's data or an internal note. The clerk's side: accept into a
petition (channel 网络) or decline with a reason the worker reads."""

from __future__ import annotations

import datetime
import io
import re
import uuid
from pathlib import Path

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from petitions import selfservice, services
from petitions.models import Petition, PublicAttempt, Submission, SubmissionFile
from servicecenter.models import Attachment, AuditEvent
from tests.conftest import make_person, new_id_number
from tests.petitions.conftest import freeze as _freeze  # noqa: F401 — the fixture, for this module
from tests.petitions.conftest import set_param

SCRIPT = "<script>alert('x')</script>"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def solve(token: str) -> str:
    """The answer to a CAPTCHA token (what a person reads off the page and works out)."""
    data = signing.loads(token, salt=selfservice.CAPTCHA_SALT)
    return next(str(n) for n in range(0, 40) if selfservice._answer_hash(data["n"], n) == data["h"])


def form_page(client: Client) -> dict:
    page = client.get("/public/petitions/submit/")
    assert page.status_code == 200
    return {"token": page.context["token"], "captcha_token": page.context["captcha_token"]}


def submit_data(client: Client, unit, category, **overrides) -> dict:
    fresh = form_page(client)
    data = {"token": fresh["token"], "captcha_token": fresh["captcha_token"], "captcha": solve(fresh["captcha_token"]),
            "org_unit": unit.pk, "name": "孙晓梅", "phone": "13705759999", "id_number": "", "employer_name": "越兴纺织",
            "category": category.pk, "facts": "公司拖欠两个月工资。", "request": "希望工会帮助追讨。", "website": ""}
    data.update(overrides)
    return data


def submit(client: Client, unit, category, **overrides):
    return client.post("/public/petitions/submit/", submit_data(client, unit, category, **overrides), follow=True,
                       REMOTE_ADDR=overrides.pop("ip", "203.0.113.7") if "ip" in overrides else "203.0.113.7")


def created(response) -> tuple[str, str]:
    body = response.content.decode()
    number = re.search(r'data-testid="tracking-number">([^<]+)<', body).group(1)
    code = re.search(r'data-testid="lookup-code">([^<]+)<', body).group(1)
    return number, code


def lookup(client: Client, number: str, code: str, ip: str = "203.0.113.7"):
    return client.post("/public/petitions/lookup/", {"number": number, "code": code}, REMOTE_ADDR=ip)


def test_a_worker_submits_online_and_gets_a_number_and_a_code_once(units, category):
    client = Client()
    response = submit(client, units["330602001"], category)
    number, code = created(response)
    sub = Submission.objects.get()
    assert sub.number == number and re.fullmatch(r"WS-\d{8}-[A-Z2-9]{6}", number) and len(code) == 8
    assert sub.code_hash != code and code not in sub.code_hash  # only the hash is kept
    assert sub.status == "received" and sub.org_unit == units["330602001"] and sub.name == "孙晓梅"
    assert client.get("/public/petitions/submitted/").status_code == 302  # shown once
    status = lookup(client, number, code.lower()).content.decode()  # case and spaces do not matter
    assert "已收到，等待受理" in status


def test_a_wrong_or_reused_captcha_stores_nothing(units, category):
    client = Client()
    data = submit_data(client, units["330602001"], category)
    wrong = dict(data, captcha=str(int(data["captcha"]) + 1))
    response = client.post("/public/petitions/submit/", wrong)
    assert response.status_code == 200 and "验证码计算结果不正确" in response.content.decode()
    assert response.context["form"]["name"].value() == "孙晓梅"  # input kept, a new sum offered
    assert response.context["captcha_token"] != data["captcha_token"]
    assert client.post("/public/petitions/submit/", data).status_code == 302
    replay = dict(data, token=str(uuid.uuid4()))
    assert "验证码已使用" in client.post("/public/petitions/submit/", replay).content.decode()
    assert "验证码已过期" in client.post("/public/petitions/submit/", dict(data, captcha_token="forged")).content.decode()
    assert Submission.objects.count() == 1


def test_a_script_in_every_field_is_kept_as_text_and_shown_escaped(client_for, users, units, category):
    client = Client()
    response = submit(client, units["330602001"], category, name=SCRIPT, employer_name=SCRIPT, facts=SCRIPT,
                      request=SCRIPT)
    number, code = created(response)
    sub = Submission.objects.get()
    assert sub.name == SCRIPT and sub.facts == SCRIPT  # stored as typed: nothing lost, nothing run
    for page in (client_for("s11_clerk").get(f"/petitions/submissions/{sub.pk}/"),
                 client_for("s11_clerk").get("/petitions/submissions/"), lookup(client, number, code)):
        body = page.content.decode()
        assert SCRIPT not in body and page.status_code == 200
    assert "&lt;script&gt;" in client_for("s11_clerk").get(f"/petitions/submissions/{sub.pk}/").content.decode()


def test_a_20_mb_file_or_a_disguised_one_is_refused_and_nothing_is_stored(units, category, settings, tmp_path):
    client = Client()
    big = SimpleUploadedFile("工资条.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024), content_type="application/pdf")
    response = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category,
                                                                   attachments=big))
    body = response.content.decode()
    assert response.status_code == 200 and "文件过大" in body and "工资条.pdf" in body
    fake = SimpleUploadedFile("照片.png", b"MZ not an image", content_type="image/png")
    body = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category,
                                                               attachments=fake)).content.decode()
    assert "只能上传 PDF、JPEG 或 PNG 文件" in body
    assert not Submission.objects.exists() and not SubmissionFile.objects.exists()
    assert not [p for p in Path(tmp_path).rglob("*") if p.is_file()]  # no file left behind


def test_too_many_files_are_refused(units, category):
    set_param(units["330600"], "petition.public_max_files", "1")
    client = Client()
    files = [SimpleUploadedFile(f"{i}.png", PNG, content_type="image/png") for i in range(2)]
    body = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category,
                                                               attachments=files)).content.decode()
    assert "最多上传 1 个文件" in body and not Submission.objects.exists()


def test_a_hundred_submissions_a_minute_from_one_address_are_stopped(units, category):
    """The per-address limit (petition.public_submits_per_ip_hour, 10) stops a flood; each page
    still solves its own CAPTCHA, so this is what a determined script gets."""
    client = Client()
    codes = []
    for n in range(100):
        data = submit_data(client, units["330602001"], category, phone=f"1370575{n:04d}")
        codes.append(client.post("/public/petitions/submit/", data, REMOTE_ADDR="198.51.100.9").status_code)
    assert codes[:10] == [302] * 10 and set(codes[10:]) == {429}
    assert Submission.objects.count() == 10
    last = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category),
                       REMOTE_ADDR="198.51.100.9")
    assert "同一网络每小时最多提交 10 次" in last.content.decode()
    # Another address is not affected.
    assert submit(client, units["330602001"], category, phone="13905750000").redirect_chain


def test_one_phone_number_submits_three_times_a_day(units, category):
    client = Client()
    for n in range(3):
        response = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category),
                               REMOTE_ADDR=f"192.0.2.{n}")
        assert response.status_code == 302
    response = client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category),
                           REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    assert response.context["form"].errors["phone"] == ["该手机号码今天已提交 3 次。如需补充，请凭查询编号联系受理单位。"]
    assert Submission.objects.count() == 3


def test_ten_wrong_codes_lock_the_number_and_the_right_code_waits(units, category, freeze):
    client = Client()
    number, code = created(submit(client, units["330602001"], category))
    messages = [lookup(client, number, "WRONG123").content.decode() for _ in range(10)]
    assert all("查询编号或查询码不正确" in m for m in messages[:4])
    assert "已暂停查询" in messages[4] and all("已暂停查询" in m for m in messages[5:])
    assert "已暂停查询" in lookup(client, number, code).content.decode()  # even the right code, for now
    assert PublicAttempt.objects.filter(kind="lookup_failed").count() == 5  # counted until it locked
    freeze(timezone.now() + datetime.timedelta(minutes=31))
    assert "已收到，等待受理" in lookup(client, number, code).content.decode()


def test_a_lookup_shows_nothing_of_another_submission(users, units, category):
    client = Client()
    mine_number, mine_code = created(submit(client, units["330602001"], category, name="孙晓梅", phone="13705750001",
                                             facts="我的事情"))
    other_number, other_code = created(submit(client, units["330602002"], category, name="钱大勇", phone="13905750002",
                                               facts="别人的事情：某某公司"))
    mine = lookup(client, mine_number, mine_code).content.decode()
    assert mine_number in mine and other_number not in mine
    for secret in ("钱大勇", "13905750002", "别人的事情", "塔山街道"):
        assert secret not in mine
    for secret in ("孙晓梅", "13705750001", "我的事情"):  # not even one's own name, phone or words
        assert secret not in mine
    crossed = lookup(client, other_number, mine_code).content.decode()  # my code does not open theirs
    assert "查询编号或查询码不正确" in crossed and "别人的事情" not in crossed and "钱大勇" not in crossed
    unknown = lookup(client, "WS-20990101-AAAAAA", mine_code).content.decode()
    assert "查询编号或查询码不正确" in unknown  # the same answer as a wrong code


def test_lookups_per_address_are_limited(units, category):
    set_param(units["330600"], "petition.public_lookups_per_ip_hour", "3")
    client = Client()
    number, code = created(submit(client, units["330602001"], category))
    assert [lookup(client, number, code, ip="192.0.2.50").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_clerk_accepts_the_worker_follows_and_reads_only_the_published_answer(client_for, users, units,
                                                                                  category):
    client = Client()
    upload = SimpleUploadedFile("工资条.png", PNG, content_type="image/png")
    number, code = created(client.post("/public/petitions/submit/", submit_data(
        client, units["330602001"], category, attachments=upload), follow=True, REMOTE_ADDR="203.0.113.8"))
    sub = Submission.objects.get()
    assert client_for("s12_clerk").post(f"/petitions/submissions/{sub.pk}/accept/", {}).status_code == 404
    assert client_for("auditor").post(f"/petitions/submissions/{sub.pk}/accept/", {}).status_code == 403
    response = client_for("s11_clerk").post(f"/petitions/submissions/{sub.pk}/accept/", {"category": category.pk})
    assert response.status_code == 302
    sub.refresh_from_db()
    p = sub.petition
    assert p.channel == "online" and p.identity == "partial" and p.caller_name == "孙晓梅" and p.org_unit == sub.org_unit
    assert Attachment.objects.get(object_id=p.pk).original_name == "工资条.png"
    assert AuditEvent.objects.filter(action="petitions.accept", target_id=str(sub.pk)).exists()
    assert "已受理" in lookup(client, number, code).content.decode()
    clerk, worker = users["s11_clerk"], users["s11_worker"]
    services.petition_assign(petition=p, by=clerk, handler=worker, due_date=p.due_date, note="内部意见：先查社保记录")
    status = lookup(client, number, code).content.decode()
    assert "办理中" in status and "内部意见" not in status and "李强" not in status and worker.username not in status
    with pytest.raises(ValidationError) as caught:  # closing an online case needs the answer the worker reads
        services.petition_close(petition=p, by=worker, report=services.CompletionReport("a", "b", "c", "d"))
    assert "public_answer" in caught.value.message_dict
    services.petition_close(petition=p, by=worker, report=services.CompletionReport(
        "拖欠属实（内部：老板有前科）", "工资支付暂行规定", "公司已补发。", "满意"),
        public_answer="经协调，公司已于本周补发您的工资，请注意查收。")
    status = lookup(client, number, code).content.decode()
    assert "已办结" in status and "经协调，公司已于本周补发您的工资" in status
    assert "老板有前科" not in status and "内部" not in status


def test_a_declined_submission_shows_its_reason_and_a_registered_person_is_linked(client_for, users, units,
                                                                                   category):
    client = Client()
    number, code = created(submit(client, units["330602001"], category))
    sub = Submission.objects.get()
    response = client_for("s11_clerk").post(f"/petitions/submissions/{sub.pk}/decline/", {"reason": ""})
    assert "请填写不予受理理由" in response.content.decode()
    client_for("s11_clerk").post(f"/petitions/submissions/{sub.pk}/decline/", {"reason": "属劳动仲裁受理范围，请向仲裁院申请。"})
    status = lookup(client, number, code).content.decode()
    assert "不予受理" in status and "属劳动仲裁受理范围" in status
    with pytest.raises(ValidationError, match="已不予受理"):
        services.submission_accept(submission=sub, by=users["s11_clerk"], category=category)
    # With an ID number given, the clerk may register (or link) the person.
    someone = make_person(users["s21_clerk"], name="周梅", id_number=new_id_number(male=False))
    number2, _ = created(submit(client, units["330602001"], category, phone="13705750003", name="周梅",
                                id_number=someone.id_number))
    sub2 = Submission.objects.get(number=number2)
    assert sub2.id_number_masked == someone.id_number_masked and someone.id_number not in sub2.id_number_encrypted
    p = services.submission_accept(submission=sub2, by=users["s11_clerk"], category=category, register_person=True)
    assert p.person == someone and p.identity == "person"  # attached from the other district (audited)
    assert AuditEvent.objects.filter(event="attach", target_id=str(someone.pk)).exists()
    assert Petition.objects.filter(channel="online").count() == 1


def test_the_queue_lists_what_waits_with_a_fixed_number_of_queries(client_for, units, category,
                                                                    django_assert_max_num_queries):
    client = Client()
    for n in range(6):
        client.post("/public/petitions/submit/", submit_data(client, units["330602001"], category,
                                                            phone=f"1390575{n:04d}"), REMOTE_ADDR=f"192.0.2.{n}")
    clerk = client_for("s11_clerk")
    clerk.get("/petitions/submissions/")
    # session, user, roles, scope units, count, page, decided list, navigation's export check …
    with django_assert_max_num_queries(14):
        response = clerk.get("/petitions/submissions/")
    assert len(response.context["page"].items) == 6


@pytest.mark.parametrize("overrides", [
    {"org_unit": "999999"}, {"org_unit": "abc"}, {"category": "x"}, {"token": "not-a-uuid"},
    {"captcha_token": ""}, {"captcha": "很多"}, {"phone": "<script>"}, {"id_number": "330602199913451234"},
    {"name": "名" * 51}, {"facts": "长" * 6000}, {"website": "http://spam"},
])
def test_malformed_public_posts_never_fail_and_store_nothing(units, category, overrides):
    client = Client()
    data = submit_data(client, units["330602001"], category)
    data.update(overrides)
    response = client.post("/public/petitions/submit/", data)
    assert response.status_code == 200, overrides
    body = response.content.decode()
    assert "errorlist" in body or "field-error" in body or "表单已失效" in body
    assert not Submission.objects.exists()
    assert client.post("/public/petitions/lookup/", {"number": "<script>", "code": "' OR 1=1 --"}).status_code == 200
