"""Journey 1: every demo account logs in through the form and sees the navigation of its role;
the navigation also works at tablet width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from servicecenter import demo
from tests.e2e.conftest import TABLET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CASE_NAV = ["工作台", "待办", "职工", "用人单位", "信访接待", "困难职工档案", "法律援助", "就业援助", "帮扶资金与物资",
            "统计报表"]
# Roles that export registers also reach their background exports (the accountant exports the fund
# registers: funds.export).
EXPORTING = {"auditor", "city_sup", "d1_sup", "d2_sup", "d1_accountant"}
EXPECTED_NAV = {"sysadmin": ["工作台", "系统管理", "账号变更确认"], "secaudit": ["工作台", "审计日志", "账号变更确认"],
                **{username: [*CASE_NAV, "我的导出"] for username in EXPORTING}}
ACCOUNTS = {spec.username: spec for spec in demo.ACCOUNTS}


def nav_labels(page) -> list[str]:
    return [t.strip() for t in page.get_by_role("navigation", name="主导航").get_by_role("link").all_inner_texts()]


@pytest.mark.parametrize("username", list(ACCOUNTS))
def test_account_logs_in_and_sees_its_navigation(page, login, live_server, username):
    login(page, username)

    expect(page).to_have_url(f"{live_server.url}/")  # LOGIN_REDIRECT_URL: the dashboard
    expect(page.get_by_test_id("current-user")).to_have_text(ACCOUNTS[username].full_name)
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav.get_by_role("link", name="工作台", exact=True)).to_have_attribute("aria-current", "page")

    labels = nav_labels(page)
    assert labels == EXPECTED_NAV.get(username, CASE_NAV), labels
    if username in ("sysadmin", "secaudit"):
        expect(nav.get_by_role("link", name="职工", exact=True)).to_have_count(0)
    else:
        assert "系统管理" not in labels and "审计日志" not in labels
    # The stylesheet came through live_server's static handler: the sidebar has its fixed width.
    assert page.locator("nav.sidebar").evaluate("el => getComputedStyle(el).width") == "172px"


@pytest.mark.parametrize("viewport", [TABLET], ids=["tablet-820x1180"])
def test_navigation_is_usable_at_tablet_width(page, login, live_server, viewport):
    login(page, "s11_clerk")
    nav = page.get_by_role("navigation", name="主导航")
    assert nav_labels(page) == CASE_NAV

    # Every item is on screen (the sidebar wraps into rows above the content) and nothing makes
    # the page scroll sideways.
    for link in nav.get_by_role("link").all():
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    nav_box = nav.bounding_box()
    content_box = page.locator("main.content").bounding_box()
    assert nav_box["y"] + nav_box["height"] <= content_box["y"] + 1, (nav_box, content_box)

    nav.get_by_role("link", name="职工", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/people/")
    expect(page.get_by_role("heading", name="职工", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="职工", exact=True)).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    nav.get_by_role("link", name="用人单位", exact=True).click()
    expect(nav.get_by_role("link", name="用人单位", exact=True)).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
