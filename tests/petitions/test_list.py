"""The list and register: filters (django-filter), sorting, pagination, the pinned query count,
and the 信访接待登记汇总表 export with totals per category."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from petitions import services
from petitions.models import Category
from tests.conftest import make_employer, make_person
from tests.petitions.conftest import make_petition


@pytest.fixture
def crowd(users, units, category):
    """Six petitions at station 330602001, one at the sibling station, one at the other district."""
    clerk = users["s11_clerk"]
    employer = make_employer(units["330602001"], name="鉴湖机械制造有限公司")
    social = Category.objects.get(name="社会保险")
    out = []
    for i in range(6):
        person = make_person(clerk, name=f"职工{i}", phone=f"1380000{i:04d}")
        out.append(make_petition(clerk, person, social if i % 2 else category, employer=employer,
                                 channel="hotline" if i < 2 else "visit", headcount=6 if i == 5 else 1))
    out.append(make_petition(users["s12_clerk"], make_person(users["s12_clerk"], name="塔山"), category))
    out.append(make_petition(users["s21_clerk"], make_person(users["s21_clerk"], name="百官"), category))
    return out


def numbers(response):
    return [p.number for p in response.context["rows"]]


def test_scope(client_for, crowd):
    assert len(numbers(client_for("s11_clerk").get("/petitions/"))) == 6
    assert len(numbers(client_for("d1_sup").get("/petitions/"))) == 7
    assert len(numbers(client_for("city_sup").get("/petitions/"))) == 8


@pytest.mark.parametrize(("query", "expected"), [
    ({"channel": "hotline"}, 2),
    ({"is_group": "true"}, 1),
    ({"status": "open"}, 6),
    ({"status": "closed"}, 0),
    ({"person": "职工3"}, 1),
    ({"person": "zg"}, 6),
    ({"number": "-00003"}, 1),
    ({"is_confidential": "true"}, 0),
    ({"deadline": "overdue"}, 0),
])
def test_filters(client_for, crowd, query, expected):
    assert len(numbers(client_for("s11_clerk").get("/petitions/", query))) == expected


def test_filter_by_category_handler_unit_and_received_dates(client_for, users, units, crowd, category):
    d1 = client_for("d1_sup")
    assert len(numbers(d1.get("/petitions/", {"category": category.pk}))) == 4
    assert len(numbers(d1.get("/petitions/", {"org_unit": units["330602002"].pk}))) == 1
    assert len(numbers(d1.get("/petitions/", {"handler": users["s12_clerk"].pk}))) == 1
    today = timezone.localdate()
    assert len(numbers(d1.get("/petitions/", {"received_after": today.isoformat(),
                                              "received_before": today.isoformat()}))) == 7
    yesterday = (today - datetime.timedelta(days=1)).isoformat()
    assert numbers(d1.get("/petitions/", {"received_before": yesterday})) == []


def test_sorting(client_for, crowd):
    client = client_for("s11_clerk")
    asc = numbers(client.get("/petitions/", {"ordering": "number"}))
    assert asc == sorted(asc)
    assert numbers(client.get("/petitions/", {"ordering": "-number"})) == sorted(asc, reverse=True)


@pytest.mark.parametrize("query", [
    {"page": "abc"}, {"page": "99999"}, {"org_unit": "abc"}, {"status": "X"}, {"ordering": "password"},
    {"received_after": "2026-13-45"}, {"deadline": "whenever"}, {"handler": "-1"}, {"person": "\x00"},
    {"is_group": "maybe"}, {"category": "zz"},
])
def test_malformed_queries_never_fail(client_for, crowd, query):
    assert client_for("s11_clerk").get("/petitions/", query).status_code == 200
    assert client_for("d1_sup").get("/petitions/export.xlsx", query).status_code == 200


def test_list_query_count_is_pinned(client_for, users, crowd, django_assert_num_queries):
    client = client_for("s11_clerk")
    client.get("/petitions/")
    # 1 session, 2 user, 3 role grants, 4 user's unit (scope path), 5 the cases the station sent up
    # (it still reads them), 6 the page of petitions (person and their employer, category, unit,
    # handler, employer joined; identity flag computed in SQL; a first page that fits is its own
    # count), 7 categories, 8 handlers and 9 units for the filter's choices
    with django_assert_num_queries(9):
        response = client.get("/petitions/")
    assert len(response.context["rows"]) == 6
    for i in range(10):
        make_petition(users["s11_clerk"], make_person(users["s11_clerk"], name=f"多{i}"), crowd[0].category)
    with django_assert_num_queries(9):
        client.get("/petitions/")


def test_detail_query_count_is_bounded(client_for, crowd, users):
    p = crowd[0]
    services.petition_assign(petition=p, by=users["s11_clerk"], handler=users["s11_worker"],
                             due_date=timezone.localdate())
    client = client_for("s11_clerk")
    client.get(f"/petitions/{p.pk}/")
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/petitions/{p.pk}/")
    first = len(ctx.captured_queries)
    for i in range(5):
        services.petition_pause(petition=p, by=users["s11_clerk"], reason=f"第{i}次")
        services.petition_resume(petition=p, by=users["s11_clerk"])
    with CaptureQueriesContext(connection) as ctx:
        client.get(f"/petitions/{p.pk}/")
    assert len(ctx.captured_queries) == first  # ten more timeline events, no more queries


def export_sheet(client, **query):
    response = client.get("/petitions/export.xlsx", query)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_register_has_title_unit_period_numbered_rows_and_totals_by_category(client_for, crowd, category):
    today = timezone.localdate().isoformat()
    sheet = export_sheet(client_for("d1_sup"), received_after=today, received_before=today)
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "信访接待登记汇总表"
    assert "越城区职工服务中心" in rows[1][0] and f"{today} 至 {today}" in rows[1][0]
    header = list(rows[2])
    assert header[:4] == ["序号", "编号", "受理时间", "来访形式"]
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    assert [r[0] for r in data] == list(range(1, 8))
    totals = next(r for r in rows if r[0] == "合计")
    col = {name: i for i, name in enumerate(header)}
    assert totals[col["人数"]] == 12  # 6 + 1×6
    assert totals[col["群体性"]] == 1
    assert totals[col["工资报酬/拖欠工资"]] == 4 and totals[col["社会保险"]] == 3 and totals[col["其他"]] == 0
    assert data[0][col["来访形式"]] == "来电" and data[0][col["状态"]] == "待处理"


def test_register_uses_the_list_filters(client_for, crowd):
    sheet = export_sheet(client_for("d1_sup"), channel="hotline")
    data = [r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)]
    assert len(data) == 2
    assert "统计期间：全部" in sheet["A2"].value
