"""The four registers (求职登记表, 用工单位登记表, 推荐就业登记表, 培训登记表), read back with openpyxl:
title, unit, numbered rows, masked ID numbers, totals, and exactly the list's filtered rows."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from openpyxl import load_workbook

from jobs import services
from tests.conftest import login, make_person
from tests.jobs.conftest import TODAY, make_posting, make_seeker

D = Decimal


def sheet(client, url, **query):  # noqa: ANN001, ANN201
    response = client.get(url, query)
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def table(ws) -> tuple[list, list, dict]:  # noqa: ANN001
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[2])
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    totals = next((r for r in rows if r[0] == "合计"), None)
    return rows, data, {"header": header, "col": {h: i for i, h in enumerate(header)}, "totals": totals}


def test_the_seeker_register(clerk, users):
    person = make_person(clerk, name="下岗工人", jobless_certificate="layoff", jobless_certificate_number="XG77",
                         is_migrant_worker=True)
    make_seeker(clerk, person=person, education=3, certificate_issuer="越城区人社局",
                desired_monthly_wage=D("4500"))
    make_seeker(clerk, name="普通求职者")
    make_seeker(users["s21_clerk"], name="上虞求职者")  # another district: not in 越城区's register
    rows, data, t = table(sheet(login(users["d1_sup"]), "/jobs/seekers/export.xlsx"))
    assert rows[0][0] == "求职登记表" and "越城区职工服务中心" in rows[1][0]
    assert [r[0] for r in data] == [1, 2]
    col = t["col"]
    first = next(r for r in data if r[col["姓名"]] == "下岗工人")
    assert first[col["下岗证/失业证"]] == "下岗证" and first[col["证件号码"]] == "XG77"
    assert first[col["发证机关"]] == "越城区人社局" and first[col["文化程度"]] == "高中/中专/技校"
    assert first[col["期望月工资"]] == 4500 and "*" in first[col["身份证号码"]]
    assert t["totals"][col["农民工"]] == 1
    filtered = table(sheet(login(users["d1_sup"]), "/jobs/seekers/export.xlsx", certificate="layoff"))[1]
    assert len(filtered) == 1


def test_the_posting_register_shows_the_state_now(clerk, recruiter, users, freeze):
    make_posting(clerk, recruiter, title="电工", openings=2, valid_to=TODAY() + datetime.timedelta(days=1))
    make_posting(clerk, recruiter, title="保洁", openings=3)
    freeze(TODAY() + datetime.timedelta(days=2))
    rows, data, t = table(sheet(login(users["d1_sup"]), "/jobs/postings/export.xlsx"))
    col = t["col"]
    assert rows[0][0] == "用工单位登记表"
    states = {r[col["岗位名称"]]: r[col["状态"]] for r in data}
    assert states == {"电工": "已过期", "保洁": "招聘中"}
    assert t["totals"][col["招聘人数"]] == 5
    assert {r[col["证件核验"]] for r in data} == {"已核验"}
    assert data[0][col["统一社会信用代码"]] == recruiter.employer.credit_code


def test_the_referral_and_trainee_registers(clerk, posting, users):
    a = services.referral_create(by=clerk, seeker=make_seeker(clerk, name="甲"), posting=posting)
    services.referral_create(by=clerk, seeker=make_seeker(clerk, name="乙"), posting=posting)
    services.referral_hire(referral=a, by=clerk, start_date=TODAY(), wage=D("4100"))
    rows, data, t = table(sheet(login(users["d1_sup"]), "/jobs/referrals/export.xlsx"))
    col = t["col"]
    assert rows[0][0] == "推荐就业登记表" and len(data) == 2
    hired = next(r for r in data if r[col["求职者"]] == "甲")
    assert hired[col["结果"]] == "已录用" and hired[col["录用工资"]] == 4100
    assert t["totals"][col["录用"]] == 1
    course = services.course_create(by=clerk, name="养老护理", provider="职校", starts_on=TODAY(), ends_on=TODAY(),
                                    hours=10, capacity=5, fee=D("800"), discount_percent=D("50"))
    holder = make_person(clerk, name="持证", jobless_certificate="unemployed", jobless_certificate_number="SY1")
    services.enrolment_create(by=clerk, course=course, person=holder)
    services.enrolment_create(by=clerk, course=course, person=make_person(clerk, name="无证"))
    rows, data, t = table(sheet(login(users["d1_sup"]), "/jobs/trainees/export.xlsx"))
    col = t["col"]
    assert rows[0][0] == "培训登记表"
    by_name = {r[col["学员"]]: r for r in data}
    assert by_name["持证"][col["优惠金额"]] == 400 and by_name["持证"][col["实缴学费"]] == 400
    assert by_name["持证"][col["优惠"]] == "持失业证（SY1）学费减免50%"
    assert by_name["无证"][col["实缴学费"]] == 800


def test_exports_need_the_export_permission(clerk):
    for url in ("/jobs/seekers/export.xlsx", "/jobs/postings/export.xlsx", "/jobs/referrals/export.xlsx",
                "/jobs/trainees/export.xlsx"):
        assert login(clerk).get(url).status_code == 403
