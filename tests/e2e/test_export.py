"""Journey 4: the auditor downloads the person register from the list page."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.conftest import make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_auditor_downloads_person_register(page, login, users, tmp_path):
    first = make_person(users["s11_clerk"], name="张三丰")
    second = make_person(users["s21_clerk"], name="李四")  # another district: the auditor sees both

    login(page, "auditor")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="职工", exact=True).click()
    expect(page.locator("table.list tbody tr")).to_have_count(2)
    with page.expect_download() as info:
        page.get_by_role("link", name="导出名册").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename

    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved).active  # not read_only: rows keep the sheet's full width
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, row in enumerate(rows[:10]) if "姓名" in row)
    header = rows[header_at]
    assert "身份证号码" in header, header
    name_col, id_col = header.index("姓名"), header.index("身份证号码")
    body = {row[name_col]: row[id_col] for row in rows[header_at + 1:] if row[name_col] in ("张三丰", "李四")}
    assert body == {"张三丰": first.id_number_masked, "李四": second.id_number_masked}
