"""Referrals: the letter, the outcome (only by the referring unit), one full-time placement at a
time, the follow-up 30 days after the start, the posting filled when its openings are, and the
employer's wage-arrears flag (from petitions, through the kernel's employer flags)."""

from __future__ import annotations

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from jobs import services
from jobs.models import Posting, Referral, Seeker
from petitions import services as petition_services
from petitions.models import Category
from tests.conftest import login
from tests.jobs.conftest import TODAY, make_posting, make_recruiter, make_seeker

D = Decimal


def hire(referral: Referral, by, start=None, wage=D("4000")) -> Referral:  # noqa: ANN001
    return services.referral_hire(referral=referral, by=by, start_date=start or referral.referred_on, wage=wage)


def test_a_referral_prints_its_letter(clerk, posting, seeker):
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting, note="有三年电焊经验")
    assert referral.number.startswith("TJ-330602001-")
    response = login(clerk).get(f"/jobs/referrals/{referral.pk}/letter.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "介绍信" in text and referral.number in text and seeker.person.name in text
    assert posting.recruiter.employer.name in text and posting.title in text and "回" in text


def test_a_closed_or_lapsed_posting_cannot_be_referred_to(clerk, posting, seeker):
    services.posting_close(posting=posting, by=clerk, reason="已招满")
    with pytest.raises(ValidationError) as caught:
        services.referral_create(by=clerk, seeker=seeker, posting=posting)
    assert "已过期，不能推荐" in caught.value.message_dict["posting"][0]
    assert not Referral.objects.exists()


def test_the_same_posting_twice_is_refused_while_the_first_waits(clerk, posting, seeker):
    first = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    with pytest.raises(ValidationError) as caught:
        services.referral_create(by=clerk, seeker=seeker, posting=posting)
    assert first.number in caught.value.message_dict["posting"][0]


def test_a_hire_places_the_seeker_and_schedules_the_follow_up(clerk, posting, seeker):
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    services.referral_interview(referral=referral, by=clerk, interviewed_on=TODAY())
    hire(referral, clerk, wage=D("4200"))
    referral.refresh_from_db()
    seeker.refresh_from_db()
    assert referral.status == Referral.Status.HIRED and referral.wage == D("4200.00")
    assert referral.follow_up_due == referral.start_date + datetime.timedelta(days=30)
    assert referral.follow_up_late_from == referral.follow_up_due + datetime.timedelta(days=1)
    assert seeker.status == Seeker.Status.PLACED
    assert list(referral.events.values_list("kind", flat=True)) == ["create", "interview", "hire"]


def test_a_second_concurrent_full_time_placement_is_refused(clerk, recruiter, posting, seeker):
    other = make_posting(clerk, recruiter, title="仓管员")
    first = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    second = services.referral_create(by=clerk, seeker=seeker, posting=other)
    hire(first, clerk)
    with pytest.raises(ValidationError) as caught:
        hire(second, clerk)
    message = caught.value.message_dict["start_date"][0]
    assert "不能同时登记第二份全日制就业" in message and first.number in message
    second.refresh_from_db()
    assert second.status == Referral.Status.REFERRED and second.start_date is None
    # Once the first job ends, the second hire goes through.
    services.referral_leave(referral=first, by=clerk, left_on=TODAY())
    seeker.refresh_from_db()
    assert seeker.status == Seeker.Status.SEEKING
    hire(second, clerk)
    second.refresh_from_db()
    assert second.status == Referral.Status.HIRED


def test_a_part_time_job_beside_a_full_time_one_is_allowed(clerk, recruiter, posting, seeker):
    part = make_posting(clerk, recruiter, title="周末小时工", employment_type="part", wage_min=D("25"),
                        wage_max=D("30"))
    services.referral_create(by=clerk, seeker=seeker, posting=part)
    first = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    hire(first, clerk)
    part_referral = Referral.objects.get(posting=part)
    hire(part_referral, clerk, wage=D("26"))
    assert Referral.objects.filter(status="hired").count() == 2


def test_an_outcome_for_a_referral_of_another_unit_is_refused(clerk, users, posting, seeker):
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    district = users["d1_sup"]  # sees the station's referral, but did not make it
    with pytest.raises(ValidationError, match="只能由推荐单位登记"):
        hire(referral, district)
    response = login(district).post(f"/jobs/referrals/{referral.pk}/hire/",
                                    {"start_date": TODAY().isoformat(), "wage": "4000"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "只能由推荐单位登记" in body and 'value="4000"' in body
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFERRED
    # A sibling station does not see it at all.
    assert login(users["s12_clerk"]).post(f"/jobs/referrals/{referral.pk}/hire/", {}).status_code == 404


def test_the_posting_is_filled_when_its_openings_are(clerk, recruiter):
    posting = make_posting(clerk, recruiter, openings=2)
    for name in ("甲", "乙"):
        seeker = make_seeker(clerk, name=name)
        hire(services.referral_create(by=clerk, seeker=seeker, posting=posting), clerk)
    posting.refresh_from_db()
    assert posting.hired_count == 2 and posting.status == Posting.Status.FILLED


def test_a_hire_by_another_station_fills_the_posting_too(clerk, users, recruiter):
    posting = make_posting(clerk, recruiter, openings=1)
    other = users["s12_clerk"]  # refers from the shared pool to 府山's posting
    referral = services.referral_create(by=other, seeker=make_seeker(other, name="塔山求职者"), posting=posting)
    hire(referral, other)
    posting.refresh_from_db()
    assert posting.status == Posting.Status.FILLED
    assert posting.events.last().note.startswith("已录用1人，招满")


def test_the_follow_up_ends_a_placement_that_ended(clerk, posting, seeker, freeze):
    referral = hire(services.referral_create(by=clerk, seeker=seeker, posting=posting), clerk)
    day = freeze(referral.follow_up_due + datetime.timedelta(days=2))
    referral.refresh_from_db()
    assert referral.follow_up_overdue
    with pytest.raises(ValidationError) as caught:
        services.referral_follow_up(referral=referral, by=clerk, followed_up_on=day, still_employed=False)
    assert caught.value.message_dict["left_on"] == ["不在岗时请填写离职日期。"]
    services.referral_follow_up(referral=referral, by=clerk, followed_up_on=day, still_employed=False,
                                left_on=day - datetime.timedelta(days=10), note="工厂停产")
    referral.refresh_from_db()
    seeker.refresh_from_db()
    assert referral.followed_up_on == day and referral.left_on == day - datetime.timedelta(days=10)
    assert seeker.status == Seeker.Status.SEEKING
    assert referral.events.last().note.endswith("（逾期回访）")


@pytest.fixture
def wage_petition(clerk, recruiter):
    category = Category.objects.get(name="工资报酬/拖欠工资")
    from tests.conftest import make_person

    return petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=make_person(clerk, name="欠薪职工"),
        channel="visit", received_at=timezone.now(), headcount=1, category=category, facts="拖欠三个月工资。",
        request="要求支付。", employer=recruiter.employer)


def test_an_employer_with_open_wage_arrears_is_flagged_on_postings_and_at_referral(clerk, users, posting, seeker,
                                                                                   wage_petition):
    client = login(users["s12_clerk"])  # another station: sees the posting, not the petition
    body = client.get("/jobs/postings/").content.decode()
    assert "欠薪：有1件未办结的拖欠工资信访" in body
    assert "欠薪职工" not in body
    assert "欠薪" in login(clerk).get(f"/jobs/postings/{posting.pk}/").content.decode()
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    assert referral.flags == [{"label": "欠薪", "detail": "有1件未办结的拖欠工资信访", "app": "信访接待"}]
    assert "有1件未办结的拖欠工资信访" in referral.events.get(kind="create").note
    assert "推荐时" in login(clerk).get(f"/jobs/referrals/{referral.pk}/").content.decode()
    # Closed: the flag goes (the referral keeps what was shown when it was made).
    report = petition_services.CompletionReport("属实", "条例", "已支付", "满意")
    petition_services.petition_close(petition=wage_petition, by=clerk, report=report)
    assert "欠薪" not in client.get("/jobs/postings/").content.decode()


def test_a_referral_at_a_fair_needs_a_posting_taking_part(clerk, recruiter, posting, seeker):
    other = make_recruiter(clerk, name="会稽物业服务有限公司")
    elsewhere = make_posting(clerk, other, title="保洁员")
    fair = services.fair_create(by=clerk, name="春风行动", held_on=TODAY(), place="府山街道")
    services.fair_join(fair=fair, by=clerk, recruiter=recruiter, postings=[posting])
    services.fair_attend(fair=fair, by=clerk, seeker=seeker)
    with pytest.raises(ValidationError) as caught:
        services.referral_create(by=clerk, seeker=seeker, posting=elsewhere, fair=fair)
    assert caught.value.message_dict["posting"] == ["该岗位未参加本次洽谈会。"]
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting, fair=fair)
    assert referral.fair == fair
    body = login(clerk).get(f"/jobs/fairs/{fair.pk}/").content.decode()
    assert referral.number in body and "到场 1" in body and "现场推荐 1" in body
    with pytest.raises(ValidationError, match="不属于"):
        services.fair_join(fair=fair, by=clerk, recruiter=recruiter, postings=[elsewhere])


def test_a_fair_before_its_day_takes_no_attendance(clerk, seeker):
    fair = services.fair_create(by=clerk, name="下月招聘会", held_on=TODAY() + datetime.timedelta(days=5), place="x")
    with pytest.raises(ValidationError, match="当天起才能登记"):
        services.fair_attend(fair=fair, by=clerk, seeker=seeker)
