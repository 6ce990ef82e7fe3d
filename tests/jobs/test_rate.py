"""The placement success rate (中介成功率) on a known data set: hired ÷ referred for the referrals
of a period (cohort by referral date), counting hires recorded by an "as of" date, per unit; and
the monthly figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from jobs import services, summary
from jobs.models import Referral
from servicecenter import registry
from tests.conftest import login
from tests.jobs.conftest import make_posting, make_recruiter, make_seeker

D = Decimal
MAY = datetime.date(2026, 5, 1)


@pytest.fixture
def data_set(users, freeze):
    """Station 府山 (s11) and station 塔山 (s12), both under 越城区:

    府山, referred in May: 4 — hired 5 May, hired 3 June, rejected, still waiting; in April: 1 hired
    (outside the cohort). 塔山, referred in May: 2 — one hired 20 May, one no-show.
    """
    s11, s12 = users["s11_clerk"], users["s12_clerk"]
    freeze(datetime.date(2026, 4, 20))
    r11 = make_recruiter(s11, name="府山用工单位")
    r12 = make_recruiter(s12, name="塔山用工单位")
    p11 = make_posting(s11, r11, openings=10, valid_to=datetime.date(2026, 7, 31))
    p12 = make_posting(s12, r12, openings=10, valid_to=datetime.date(2026, 7, 31))
    april = services.referral_create(by=s11, seeker=make_seeker(s11, name="四月"), posting=p11)
    services.referral_hire(referral=april, by=s11, start_date=datetime.date(2026, 4, 25), wage=D("3000"))

    def refer(clerk, posting, name, day):  # noqa: ANN001, ANN202
        freeze(day)
        return services.referral_create(by=clerk, seeker=make_seeker(clerk, name=name), posting=posting)

    a = refer(s11, p11, "甲", datetime.date(2026, 5, 2))
    b = refer(s11, p11, "乙", datetime.date(2026, 5, 10))
    c = refer(s11, p11, "丙", datetime.date(2026, 5, 12))
    refer(s11, p11, "丁", datetime.date(2026, 5, 31))
    e = refer(s12, p12, "戊", datetime.date(2026, 5, 15))
    f = refer(s12, p12, "己", datetime.date(2026, 5, 16))
    freeze(datetime.date(2026, 5, 5))
    services.referral_hire(referral=a, by=s11, start_date=datetime.date(2026, 5, 6), wage=D("3500"))
    freeze(datetime.date(2026, 5, 20))
    services.referral_hire(referral=e, by=s12, start_date=datetime.date(2026, 5, 21), wage=D("3500"))
    services.referral_reject(referral=c, by=s11, note="不合适")
    services.referral_no_show(referral=f, by=s12)
    freeze(datetime.date(2026, 6, 3))
    services.referral_hire(referral=b, by=s11, start_date=datetime.date(2026, 6, 4), wage=D("3500"))
    return users


def test_the_rate_of_a_cohort_as_of_a_date(data_set, units):
    first, last = MAY, datetime.date(2026, 5, 31)
    fushan, tashan, district = units["330602001"], units["330602002"], units["330602"]
    at_month_end = summary.placement(fushan, first, last, last)
    assert (at_month_end.referred, at_month_end.hired, at_month_end.rate) == (4, 1, D("25.0"))
    later = summary.placement(fushan, first, last, datetime.date(2026, 6, 30))  # 乙's June hire counts now
    assert (later.referred, later.hired, later.rate) == (4, 2, D("50.0"))
    assert summary.placement(tashan, first, last, last).rate == D("50.0")
    # A district is its stations together: 6 referred, 2 hired by 31 May (33.3 %), 3 by 30 June.
    assert summary.placement(district, first, last, last).rate == D("33.3")
    assert summary.placement(district, first, last, datetime.date(2026, 6, 30)).rate == D("50.0")
    # Nothing referred: no rate, not 0 %.
    assert summary.placement(units["330604"], first, last, last).rate is None
    rows = summary.placement_by_unit([district, fushan, tashan], first, last, last)
    assert [(r.unit.code, r.referred, r.hired) for r in rows] == [("330602", 6, 2), ("330602001", 4, 1),
                                                                   ("330602002", 2, 1)]


def test_the_monthly_figures(data_set, units):
    app = registry.service_app("jobs")
    assert {f.code for f in app.figures} >= {"new_seekers", "postings", "openings", "referrals", "hires",
                                             "placement_rate", "trainees_enrolled", "trainees_completed"}
    rate = next(f for f in app.figures if f.code == "placement_rate")
    assert rate.kind == "rate" and (rate.numerator, rate.denominator) == ("hires", "referrals")
    may = app.compute_figures(units["330602"], MAY, datetime.date(2026, 5, 31))
    assert may["referrals"] == 6 and may["hires"] == 2 and may["placement_rate"] == D("33.3")
    assert may["new_seekers"] == 6 and may["postings"] == 0
    april = app.compute_figures(units["330602"], datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))
    assert april["postings"] == 2 and april["openings"] == 20 and april["referrals"] == 1 and april["hires"] == 1


def test_the_rates_page_per_unit(data_set, units):
    client = login(data_set["d1_sup"])
    body = client.get("/jobs/rates/", {"start": "2026-05-01", "end": "2026-05-31", "as_of": "2026-05-31"}).content.decode()
    assert "府山街道工会服务站</td><td>4</td><td>1</td><td>25.0%" in body
    assert "塔山街道工会服务站</td><td>2</td><td>1</td><td>50.0%" in body
    assert "越城区职工服务中心</td><td>6</td><td>2</td><td>33.3%" in body
    bad = client.get("/jobs/rates/", {"start": "2026-05-31", "end": "2026-05-01", "as_of": "2026-05-31"})
    assert bad.status_code == 200 and "截止日期不能早于开始日期" in bad.content.decode()


def test_the_dashboard_shows_this_months_rate_and_it_changes_with_a_hire(clerk, posting, seeker):
    client = login(clerk)

    def shown() -> str:
        body = client.get("/").content.decode()
        return body.split('data-testid="placement-rate">')[1].split("<")[0]

    assert shown() == "—"
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    assert shown() == "0.0%"
    services.referral_hire(referral=referral, by=clerk, start_date=referral.referred_on, wage=D("4000"))
    assert shown() == "100.0%"
    assert Referral.objects.filter(status="hired").count() == 1
