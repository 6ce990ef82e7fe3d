"""Recruiters and postings: papers and verification before publishing, bad input at the field with
nothing changed, the lawful-wording checker on the form, expiry after the end date without anyone
acting, renewal, filling."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jobs import services
from jobs.models import Paper, Posting, PostingEvent, Recruiter
from jobs.workflow import POSTING_FLOW
from tests.conftest import login
from tests.jobs.conftest import TODAY, make_posting, make_recruiter, png, posting_data


def test_an_unverified_employer_cannot_publish(clerk):
    recruiter = make_recruiter(clerk, verified=False, name="鉴湖物流有限公司")
    posting = make_posting(clerk, recruiter, publish=False)
    assert posting.status == Posting.Status.DRAFT
    with pytest.raises(ValidationError) as caught:
        services.posting_publish(posting=posting, by=clerk)
    assert "核验通过后才能发布" in caught.value.messages[0]
    posting.refresh_from_db()
    assert posting.status == Posting.Status.DRAFT and posting.published_on is None


def test_verification_needs_all_three_papers_and_a_date(clerk):
    recruiter = make_recruiter(clerk, verified=False, name="兰亭餐饮管理有限公司")
    services.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=Paper.Kind.LICENCE, upload=png())
    with pytest.raises(ValidationError) as caught:
        services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=TODAY())
    assert "尚缺：法定代表人身份证复印件、授权委托书" in caught.value.messages[0]
    for kind in (Paper.Kind.LEGAL_ID, Paper.Kind.AUTHORISATION):
        services.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=kind, upload=png())
    with pytest.raises(ValidationError) as caught:
        services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=TODAY() + datetime.timedelta(days=1))
    assert caught.value.message_dict["verified_on"] == ["核验日期不能晚于今天。"]
    services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=TODAY())
    recruiter.refresh_from_db()
    assert recruiter.status == Recruiter.Status.VERIFIED and recruiter.verified_on == TODAY()
    assert recruiter.verified_by == clerk


def test_an_expired_licence_counts_as_missing(clerk, recruiter, freeze):
    paper = recruiter.papers.get(kind=Paper.Kind.LICENCE)
    Paper.objects.filter(pk=paper.pk).update(valid_until=TODAY())
    services.recruiter_suspend(recruiter=recruiter, by=clerk, reason="营业执照到期")
    freeze(TODAY() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=TODAY())
    assert "营业执照（已过期）" in caught.value.messages[0]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("requirements", "限男性，身体强壮", "《妇女权益保障法》第四十三条第一项"),
    ("title", "招聘本地户口保安", "《就业促进法》第二十六条"),
    ("requirements", "乙肝携带者勿扰", "《就业促进法》第三十条"),
    ("valid_to", "yesterday", "不能早于开始日"),
    ("age_min", 15, "未满16周岁"),
    ("age_max", 17, "不能低于下限"),
    ("openings", 0, "至少为1"),
])
def test_bad_input_is_refused_at_the_field_and_nothing_changes(clerk, recruiter, field, value, message):
    overrides = {field: value}
    if value == "yesterday":
        overrides[field] = TODAY() - datetime.timedelta(days=1)
    if field == "age_max":
        overrides["age_min"] = 18
    with pytest.raises(ValidationError) as caught:
        services.posting_create(by=clerk, recruiter=recruiter, **posting_data(clerk.org_unit, **overrides))
    assert message in " ".join(caught.value.message_dict[field])
    assert not Posting.objects.exists()


def test_the_form_shows_the_refusal_at_the_field_with_the_input_kept(clerk, recruiter):
    client = login(clerk)
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in posting_data(clerk.org_unit).items()
            if v is not None and k != "skills"}
    data.update(recruiter=recruiter.pk, requirements="已婚已育，限本地户籍", skills="电焊、叉车", do="publish",
                for_vulnerable="")
    response = client.post("/jobs/postings/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "《妇女权益保障法》第四十三条第四项" in body and "已婚已育，限本地户籍</textarea>" in body
    assert 'value="电焊、叉车"' in body
    assert not Posting.objects.exists()
    data["requirements"] = "能适应两班倒"
    response = client.post("/jobs/postings/new/", data)
    posting = Posting.objects.get()
    assert response.status_code == 302 and posting.status == Posting.Status.OPEN
    assert sorted(posting.skills.values_list("name", flat=True)) == ["叉车", "焊工"]  # 电焊 is 焊工
    assert posting.skill_names == "焊工、叉车"


def test_an_unknown_skill_is_refused_at_the_field(clerk, recruiter):
    client = login(clerk)
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in posting_data(clerk.org_unit).items()
            if v is not None and k != "skills"}
    data.update(recruiter=recruiter.pk, skills="电焊、开挖掘机", for_vulnerable="")
    body = client.post("/jobs/postings/new/", data).content.decode()
    assert "技能表中没有“开挖掘机”" in body
    assert not Posting.objects.exists()


def test_a_posting_expires_after_its_end_date_without_anyone_acting(clerk, recruiter, freeze):
    posting = make_posting(clerk, recruiter, valid_to=TODAY() + datetime.timedelta(days=2))
    end = posting.valid_to
    freeze(end)  # the end date itself: still open
    posting.refresh_from_db()
    assert posting.state == Posting.Status.OPEN
    client = login(clerk)
    assert posting.number in client.get("/jobs/postings/?state=open").content.decode()
    freeze(end + datetime.timedelta(days=1))
    posting.refresh_from_db()
    assert posting.status == Posting.Status.OPEN  # nobody touched it …
    assert posting.state == Posting.Status.EXPIRED  # … and it is expired
    client = login(clerk)  # a new day, a new session (the idle timeout)
    assert posting.number not in client.get("/jobs/postings/?state=open").content.decode()
    assert posting.number in client.get("/jobs/postings/?state=expired").content.decode()
    assert "fill" not in {t.name for t in POSTING_FLOW.available(posting, clerk)}
    with pytest.raises(ValidationError, match="已自动过期"):
        services.posting_fill(posting=posting, by=clerk)
    services.posting_renew(posting=posting, by=clerk, valid_to=end + datetime.timedelta(days=30))
    posting.refresh_from_db()
    assert posting.state == Posting.Status.OPEN


def test_closing_and_renewing(clerk, posting):
    services.posting_close(posting=posting, by=clerk, reason="单位已招到人")
    posting.refresh_from_db()
    assert posting.status == Posting.Status.EXPIRED
    with pytest.raises(ValidationError) as caught:
        services.posting_renew(posting=posting, by=clerk, valid_to=TODAY() - datetime.timedelta(days=1))
    assert caught.value.message_dict["valid_to"] == ["有效期截止日不能早于今天。"]
    services.posting_renew(posting=posting, by=clerk, valid_to=TODAY() + datetime.timedelta(days=10))
    posting.refresh_from_db()
    assert posting.status == Posting.Status.OPEN
    assert list(PostingEvent.objects.filter(posting=posting).values_list("kind", flat=True)) == [
        "create", "publish", "close", "renew"]


def test_publishing_rechecks_the_wording_and_the_minimum_wage(clerk, recruiter, units):
    from tests.jobs.conftest import set_param

    posting = make_posting(clerk, recruiter, publish=False, wage_min=Decimal("2300"))
    set_param(units["330600"], "jobs.min_wage.monthly.1", "2490.00")
    with pytest.raises(ValidationError, match="低于现行第1档月最低工资标准2490.00"):
        services.posting_publish(posting=posting, by=clerk)
    posting.refresh_from_db()
    assert posting.status == Posting.Status.DRAFT


def test_a_checker_change_takes_postings_out_of_matching(clerk, posting, monkeypatch):
    from jobs import wording

    rule = wording.Rule("test", "测试", "测试条款", phrases=("两班倒",))
    monkeypatch.setattr(wording, "RULES", (*wording.RULES, rule))
    failed = services.posting_check_wording()
    assert failed == [posting]
    posting.refresh_from_db()
    assert posting.wording_ok is False


def test_the_recheck_command_reports_and_takes_out(clerk, posting, monkeypatch):
    import io

    from django.core.management import call_command

    from jobs import wording

    monkeypatch.setattr(wording, "RULES", (*wording.RULES, wording.Rule("t", "测试", "测试条款", phrases=("两班倒",))))
    out = io.StringIO()
    call_command("jobs_check_wording", stdout=out)
    assert posting.number in out.getvalue() and "1 个岗位措辞不合法" in out.getvalue()
    monkeypatch.setattr(wording, "RULES", wording.RULES[:-1])
    call_command("jobs_check_wording", stdout=io.StringIO())
    posting.refresh_from_db()
    assert posting.wording_ok is True  # back when the wording passes again
