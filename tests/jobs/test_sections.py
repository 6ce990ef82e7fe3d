"""What 就业援助 puts on shared pages: the person page (seeker record, referrals, training), the
employer page (postings, hires), the dashboard (new seekers, postings expiring, referrals awaiting
an outcome, follow-ups due, the placement rate) and the inbox."""

from __future__ import annotations

import datetime
from decimal import Decimal

from jobs import services
from servicecenter.inbox import inbox_for
from tests.conftest import login, make_person
from tests.jobs.conftest import TODAY, make_posting, make_recruiter, make_seeker, set_param

D = Decimal


def test_the_person_page_shows_the_seeker_and_offers_registration(clerk, posting):
    person = make_person(clerk, name="待登记")
    client = login(clerk)
    body = client.get(f"/people/{person.pk}/").content.decode()
    assert "就业援助" in body and f"/jobs/seekers/new/?person={person.pk}" in body
    seeker = make_seeker(clerk, person=person)
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    body = client.get(f"/people/{person.pk}/").content.decode()
    assert seeker.number in body and referral.number in body and "匹配岗位" in body


def test_the_employer_page_shows_postings_and_hires(clerk, recruiter, posting):
    seeker = make_seeker(clerk, name="被录用")
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    services.referral_hire(referral=referral, by=clerk, start_date=TODAY(), wage=D("4000"))
    body = login(clerk).get(f"/employers/{recruiter.employer_id}/").content.decode()
    assert posting.number in body and referral.number in body and "被录用" in body and "已核验" in body


def test_the_dashboard_counts(clerk, recruiter, users):
    make_posting(clerk, recruiter, title="快到期", valid_to=TODAY() + datetime.timedelta(days=3))
    later = make_posting(clerk, recruiter, title="还早")
    seeker = make_seeker(clerk)
    services.referral_create(by=clerk, seeker=seeker, posting=later)
    body = login(clerk).get("/").content.decode()
    assert 'data-testid="new-seekers">1<' in body
    assert "快到期" in body and "还早" not in body.split("即将到期的岗位")[1].split("</section>")[0]
    assert 'data-testid="awaiting-outcome">1<' in body
    assert 'data-testid="follow-ups-due">0<' in body


def test_the_inbox_has_follow_ups_outcomes_and_papers_to_verify(clerk, posting, users, freeze, units):
    set_param(units["330600"], "jobs.outcome_reminder_days", "7")
    waiting = services.referral_create(by=clerk, seeker=make_seeker(clerk, name="待反馈"), posting=posting)
    hired = services.referral_create(by=clerk, seeker=make_seeker(clerk, name="已录用"), posting=posting)
    services.referral_hire(referral=hired, by=clerk, start_date=TODAY(), wage=D("4000"))
    pending = make_recruiter(clerk, verified=False, name="待核验单位")
    from tests.jobs.conftest import png

    services.recruiter_add_paper(recruiter=pending, by=clerk, kind="licence", upload=png())
    freeze(TODAY() + datetime.timedelta(days=29))
    kinds = {(i.kind, i.title) for i in inbox_for(clerk)}
    assert ("就业回访", hired.number) in kinds  # due on day 30: due soon
    assert ("推荐结果待反馈", waiting.number) in kinds
    assert ("用工单位证件待核验", "待核验单位") in kinds
    # The district supervisor sees the station's referrals but does not record them: not in their inbox.
    assert not any(i.title in (hired.number, waiting.number) for i in inbox_for(users["d1_sup"]))


def test_a_seeker_registered_elsewhere_is_named_by_its_unit_only(clerk, users):
    from django.core.exceptions import ValidationError

    from servicecenter.people import person_attach

    person = make_person(clerk, name="两地职工")
    seeker = make_seeker(clerk, person=person)
    other = users["s21_clerk"]  # another district attaches the person, then tries to register them
    person_attach(by=other, id_number=person.id_number, org_unit=other.org_unit)
    body = login(other).get(f"/people/{person.pk}/").content.decode()
    assert "已在府山街道工会服务站做求职登记" in body and seeker.number not in body
    try:
        make_seeker(other, person=person)
    except ValidationError as exc:
        assert exc.message_dict["person"] == ["两地职工已在府山街道工会服务站做求职登记，请与该单位联系。"]
    else:
        raise AssertionError("registered twice")
