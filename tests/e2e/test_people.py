"""Journeys 2, 3 and 5: a clerk registers a person (fixing a mistyped ID on the way), finds the
person again by pinyin initials; a clerk in the other district cannot reach that person."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from servicecenter import demo
from tests.conftest import make_employer, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def wrong_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + (str((int(last) + 1) % 10) if last.isdigit() else "0")


def masked(number: str) -> str:
    return f"{number[:6]}{'*' * 8}{number[-4:]}"


def test_clerk_registers_person_then_finds_it_by_initials(page, login, live_server, users, units):
    station = units["330602001"]
    employer = make_employer(station, name="越兴纺织印染有限公司")
    make_person(users["s11_clerk"], name="张三")   # initials zs: must not match "zsf"
    make_person(users["s11_clerk"], name="李四")
    valid_id = demo.resident_id("330602", datetime.date(1985, 6, 15), 123, male=True)
    bad_id = wrong_check_digit(valid_id)
    assert bad_id != valid_id

    login(page, "s11_clerk")
    page.goto("/people/new/")
    expect(page.get_by_role("heading", name="登记职工")).to_be_visible()

    # --- Journey 2: every field typed, the ID number with a wrong check digit ---
    typed = {
        "姓名": "张三丰",
        "身份证号码": bad_id,
        "联系电话": "13812345678",
        "住址": "绍兴市解放北路100号",
        "会员证号": "HY2026001",
        "证件号码": "SY330600000001",
    }
    for label, value in typed.items():
        page.get_by_label(label).fill(value)
    page.get_by_label("工作单位").select_option(label=employer.name)
    page.get_by_label("工会会员").check()
    page.get_by_label("农民工").check()
    page.get_by_label("劳模类型").select_option(label="地市级劳模")
    page.get_by_label("下岗证/失业证").select_option(label="失业证")
    page.get_by_label("登记单位").select_option(value=str(station.pk))
    page.get_by_role("button", name="保存").click()

    # The Chinese error sits in the ID field's own block; nothing typed is lost.
    id_field = page.locator(".field", has=page.locator("#id_id_number"))
    expect(id_field.locator(".field-error")).to_contain_text("身份证号码校验位不正确")
    expect(id_field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator(".field-error")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/people/new/")
    for label, value in typed.items():
        expect(page.get_by_label(label)).to_have_value(value)
    expect(page.get_by_label("工作单位")).to_have_value(str(employer.pk))
    expect(page.get_by_label("工会会员")).to_be_checked()
    expect(page.get_by_label("农民工")).to_be_checked()
    expect(page.get_by_label("劳模类型")).to_have_value("city")
    expect(page.get_by_label("下岗证/失业证")).to_have_value("unemployed")
    expect(page.get_by_label("登记单位")).to_have_value(str(station.pk))

    page.get_by_label("身份证号码").fill(valid_id)
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/people/\d+/$"))
    detail_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("张三丰")
    expect(page.get_by_text("已登记：张三丰")).to_be_visible()
    expect(page.get_by_test_id("id-number")).to_have_text(masked(valid_id))
    expect(page.get_by_role("link", name=employer.name)).to_be_visible()
    assert valid_id not in page.content()  # the full number only after 显示完整号码

    # --- Journey 3: back to the list, find by pinyin initials, open the page ---
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="职工", exact=True).click()
    expect(page.locator("table.list tbody tr")).to_have_count(3)
    page.get_by_label("查找").fill("zsf")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(masked(valid_id))
    rows.first.get_by_role("link", name="张三丰").click()
    expect(page).to_have_url(detail_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("张三丰")


def test_person_is_not_reachable_from_the_other_district(page, login, new_page, station_person):
    url = f"/people/{station_person.pk}/"

    login(page, "s21_clerk")
    response = page.goto(url)
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("未找到")
    expect(page.get_by_text(station_person.name)).to_have_count(0)

    # The same address works for the registering station's clerk: the 404 is scope, not a typo.
    own = new_page()
    login(own, "s11_clerk")
    response = own.goto(url)
    assert response is not None and response.status == 200
    expect(own.get_by_role("heading", level=1)).to_have_text(station_person.name)
