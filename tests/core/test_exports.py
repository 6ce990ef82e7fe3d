"""Excel registers: the file read back cell by cell, formula-safe text, scope and filters, audit,
and flat memory while streaming."""

from __future__ import annotations

import datetime
import io
import tempfile
import tracemalloc
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from servicecenter.exports import Column, Register, write_register
from servicecenter.models import AuditEvent, Employer, Person
from servicecenter.registers import PERSON_REGISTER
from tests.conftest import make_employer, make_person

HEADERS = ["序号", "姓名", "性别", "出生日期", "身份证号码", "联系电话", "住址", "工作单位", "工会会员", "会员证号",
           "农民工", "劳模类型", "下岗证/失业证", "登记单位", "登记时间"]
UTC = datetime.UTC


def _download(client: Any, url: str = "/people/export.xlsx") -> Any:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def _data_rows(ws: Any) -> list[tuple]:
    """Rows between the header (row 3) and the totals row."""
    out = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[0] == "合计":
            break
        out.append(row)
    return out


def _names(ws: Any) -> set[str]:
    return {row[1] for row in _data_rows(ws)}


@pytest.fixture
def register_people(users: dict, units: dict) -> list[Person]:
    """Three people at s11's station (one a union member with an employer), one in district 2."""
    clerk = users["s11_clerk"]
    employer = make_employer(units["330602001"], name="越兴印染有限公司")
    first = make_person(clerk, name="张三", phone="13900000001", address="府山街道1号", employer=employer,
                        is_union_member=True, union_card_number="HY0001", model_worker="city")
    second = make_person(clerk, name="李四", phone="13900000002", is_migrant_worker=True,
                         jobless_certificate="unemployed")
    third = make_person(clerk, name="王五", phone="13700000003", is_union_member=True, is_migrant_worker=True)
    other = make_person(users["s21_clerk"], name="赵六", phone="13900000004")
    # 16:30 UTC is 00:30 the next day in Beijing: the file must show the Beijing date and time.
    Person.objects.filter(pk=first.pk).update(created_at=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    return [first, second, third, other]


def test_person_register_read_back_cell_by_cell(register_people: list, client_for: Any) -> None:
    first, second, third, _ = register_people
    ws = _download(client_for("auditor"))

    # Title, merged across every column; unit and date of printing; Chinese headers.
    assert ws["A1"].value == "职工信息登记名册"
    assert ws["A1"].font.b
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:O1" in merged and "A2:O2" in merged
    assert "绍兴市职工服务中心" in ws["A2"].value
    assert f"制表日期：{timezone.localdate():%Y-%m-%d}" in ws["A2"].value
    assert [c.value for c in ws[3]] == HEADERS
    assert ws.freeze_panes == "A4"
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCGO"}
    assert widths == {"A": 6, "B": 10, "C": 6, "G": 30, "O": 18}

    rows = _data_rows(ws)
    assert len(rows) == 4
    assert [r[0] for r in rows] == [1, 2, 3, 4]  # numbered, as numbers
    assert all(ws.cell(row=4 + i, column=1).data_type == "n" for i in range(4))
    by_name = {r[1]: r for r in rows}
    row = by_name["张三"]
    assert row[2] == "男" or row[2] == "女"
    assert row[2] == first.get_sex_display()
    assert row[3] == datetime.datetime.combine(first.birth_date, datetime.time())  # a real date …
    row_index = 4 + rows.index(row)
    assert ws.cell(row=row_index, column=4).is_date  # … formatted as one
    assert row[4] == first.id_number_masked and "*" in row[4]
    assert row[5:8] == ("13900000001", "府山街道1号", "越兴印染有限公司")
    assert row[8] == "是" and row[9] == "HY0001"
    assert row[10] == "否" and row[11] == "地市级劳模" and row[12] == "无"
    assert row[13] == "府山街道工会服务站"
    assert row[14] == datetime.datetime(2026, 3, 2, 0, 30)  # Beijing wall-clock time
    assert ws.cell(row=row_index, column=15).is_date
    li = by_name["李四"]
    assert li[8] == "否" and li[10] == "是" and li[12] == "失业证"
    assert li[7] is None and li[9] is None  # no employer, no card number: empty cells

    # Totals: 合计, the count, and the sums of the total columns (union members, migrant workers).
    totals_row = 4 + len(rows)
    totals = [c.value for c in ws[totals_row]]
    assert totals[0] == "合计" and totals[1] == "共 4 条"
    assert totals[8] == 2 and totals[10] == 2
    assert ws.cell(row=totals_row, column=9).data_type == "n"
    assert totals[2:8] == [None] * 6
    # Then a blank line and the signature line.
    assert all(c.value is None for c in ws[totals_row + 1])
    signature = [c.value for c in ws[totals_row + 2]][:6]
    assert signature == [None, "制表人：", None, "审核人：", None, "负责人："]
    assert ws.max_row == totals_row + 2


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1:A2)", "=HYPERLINK(\"http://x\",\"y\")", "#N/A"])
def test_formula_like_text_is_stored_as_text(value: str, users: dict, client_for: Any) -> None:
    person = make_person(users["s11_clerk"], name="钱七", address=value)
    Person.objects.filter(pk=person.pk).update(name=value)  # the name too, whatever the form allows
    ws = _download(client_for("d1_sup"))
    rows = _data_rows(ws)
    assert len(rows) == 1
    for column in (2, 7):  # 姓名, 住址
        cell = ws.cell(row=4, column=column)
        assert cell.data_type == "s", (column, cell.data_type)
        assert cell.value == value


def test_formula_check_covers_every_text_column_and_label_fallback(users: dict, units: dict) -> None:
    """Rows written directly: a formula in any text column, or an unknown code shown as stored."""
    register = Register(title="测试名册", filename="t", columns=[
        Column("名称", "a"), Column("代码", "b", labels={"x": "甲"}), Column("备注", "c"),
    ])
    out = io.BytesIO()
    write_register(register, iter([("普通", "=2+2", "=3+3"), ("=4+4", "x", "正常\n=5+5")]), out, unit_name="测试")
    ws = load_workbook(out).active
    cells = {c.coordinate: (c.value, c.data_type) for row in ws.iter_rows(min_row=4, max_row=5) for c in row}
    assert cells["C4"] == ("=2+2", "s") and cells["D4"] == ("=3+3", "s")
    assert cells["B5"] == ("=4+4", "s") and cells["C5"] == ("甲", "s")
    assert cells["D5"] == ("正常\n=5+5", "s")
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_control_characters_do_not_abort_the_export(users: dict, client_for: Any) -> None:
    make_person(users["s11_clerk"], name="孙八", address="府山\x0b街道\x1b2号")
    ws = _download(client_for("d1_sup"))
    assert _data_rows(ws)[0][6] == "府山街道2号"


def test_numbers_money_and_totals_are_numeric(units: dict) -> None:
    register = Register(title="资金名册", filename="t", columns=[
        Column("姓名", "name", 10),
        Column("人数", "n", 8, kind="int", total=True),
        Column("金额", "amount", 12, kind="money", total=True),
        Column("日期", "day", 12, kind="date"),
        Column("已发放", "paid", 8, kind="bool", total=True),
        Column("备注", "note", 10, transform=lambda v: f"备注{v}" if v else v),
    ])
    rows = [("甲", 2, Decimal("1200.50"), datetime.date(2026, 10, 8), True, 1),
            ("乙", 3, Decimal("800.25"), None, False, None),
            ("丙", None, None, datetime.date(2026, 9, 30), True, 0)]
    out = io.BytesIO()
    count = write_register(register, iter(rows), out, unit_name="越城区职工服务中心", period="2026年",
                           printed_at=datetime.datetime(2026, 12, 31, 17, 0, tzinfo=UTC))
    assert count == 3
    ws = load_workbook(out).active
    assert ws["A2"].value == "填报单位：越城区职工服务中心　　统计期间：2026年　　制表日期：2027-01-01"
    assert ws["C4"].value == 2 and ws["C4"].data_type == "n"
    assert ws["D4"].value == Decimal("1200.50") or ws["D4"].value == 1200.5
    assert ws["D4"].number_format == "#,##0.00" and ws["D5"].number_format == "#,##0.00"
    assert ws["E4"].is_date and ws["E4"].value.date() == datetime.date(2026, 10, 8)
    assert ws["E5"].value is None
    assert [ws["F4"].value, ws["F5"].value, ws["F6"].value] == ["是", "否", "是"]
    assert [ws["G4"].value, ws["G5"].value, ws["G6"].value] == ["备注1", None, 0]
    assert [c.value for c in ws[7]][:6] == ["合计", "共 3 条", 5, 2000.75, None, 2]
    assert ws["D7"].number_format == "#,##0.00" and ws["D7"].font.b


def test_empty_register_still_has_its_frame(units: dict) -> None:
    out = io.BytesIO()
    assert write_register(PERSON_REGISTER, iter([]), out, unit_name="测试") == 0
    ws = load_workbook(out).active
    assert [c.value for c in ws[3]] == HEADERS
    assert [c.value for c in ws[4]][:2] == ["合计", "共 0 条"]


def test_export_uses_the_lists_filters(register_people: list, client_for: Any) -> None:
    client = client_for("auditor")
    assert _names(_download(client, "/people/export.xlsx?q=139")) == {"张三", "李四", "赵六"}
    assert _names(_download(client, "/people/export.xlsx?q=李四")) == {"李四"}
    assert _names(_download(client, "/people/export.xlsx?is_migrant_worker=true")) == {"李四", "王五"}
    assert _names(_download(client, "/people/export.xlsx?q=139&is_union_member=true")) == {"张三"}
    # Whatever the list shows for the same query, the export shows.
    listed = client.get("/people/?q=139")
    assert {p.name for p in listed.context["page"].object_list} == {"张三", "李四", "赵六"}


def test_export_is_scoped_to_the_user(register_people: list, client_for: Any) -> None:
    assert _names(_download(client_for("d2_sup"))) == {"赵六"}
    assert _names(_download(client_for("d1_sup"))) == {"张三", "李四", "王五"}
    assert _names(_download(client_for("auditor"))) == {"张三", "李四", "王五", "赵六"}
    # Asking for a unit outside one's scope does not widen it.
    d2 = _download(client_for("d2_sup"), f"/people/export.xlsx?org_unit={register_people[0].org_unit_id}")
    assert "张三" not in _names(d2)


@pytest.mark.parametrize("username", ["s11_clerk", "s12_clerk", "s11_worker"])
def test_clerks_may_not_export(username: str, register_people: list, client_for: Any) -> None:
    assert client_for(username).get("/people/export.xlsx").status_code == 403
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.EXPORT).exists()


def test_export_is_audited(register_people: list, client_for: Any) -> None:
    _download(client_for("d1_sup"), "/people/export.xlsx?q=139")
    event = AuditEvent.objects.get(event=AuditEvent.Event.EXPORT)
    assert event.username == "d1_sup"
    assert "职工信息登记名册" in event.detail and "2行" in event.detail and "q=139" in event.detail


def test_employer_register(units: dict, client_for: Any) -> None:
    make_employer(units["330602001"], name="=cmd|' /C calc'!A0", industry="C",
                  address="越城区1号")
    ws = _download(client_for("d1_sup"), "/employers/export.xlsx")
    assert ws["A1"].value == "用人单位登记名册"
    assert [c.value for c in ws[3]][:3] == ["序号", "单位名称", "统一社会信用代码"]
    assert ws["B4"].value == "=cmd|' /C calc'!A0" and ws["B4"].data_type == "s"
    assert ws["E4"].value == "制造业"  # the label, not the code
    assert Employer.objects.count() == 1


def test_rows_are_streamed_not_listed(register_people: list) -> None:
    rows = PERSON_REGISTER.rows(Person.objects.order_by("id"))
    assert not isinstance(rows, list | tuple)  # a lazy iterator over the query


def _person_rows(n: int, extra: Any = None) -> Any:
    for i in range(n):
        yield (f"姓名{i}", "M", datetime.date(1980, 1, 1), "330602********0011", f"138{i:08d}",
               f"浙江省绍兴市越城区府山街道{i}号", "某某有限公司", bool(i % 2), "", i % 3 == 0, "", "",
               "府山街道工会服务站", datetime.datetime(2026, 1, 1, tzinfo=UTC), *([extra()] if extra else []))


def test_rows_are_consumed_one_at_a_time(db: Any) -> None:
    """No row outlives its turn: each carries an object that counts itself alive."""
    alive = {"now": 0, "most": 0}

    class Tracked:
        def __init__(self) -> None:
            alive["now"] += 1
            alive["most"] = max(alive["most"], alive["now"])

        def __del__(self) -> None:
            alive["now"] -= 1

    register = Register(title=PERSON_REGISTER.title, filename="t",
                        columns=[*PERSON_REGISTER.columns, Column("备注", "x", transform=lambda v: "")])
    with tempfile.TemporaryFile() as out:
        assert write_register(register, _person_rows(3000, Tracked), out, unit_name="测试") == 3000
    assert alive["most"] <= 3, alive


def _peak_bytes(n: int) -> int:
    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as out:
            write_register(PERSON_REGISTER, _person_rows(n), out, unit_name="测试")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat(db: Any) -> None:
    # (tracemalloc makes Python several times slower, so the runs stay small.)
    small, large = _peak_bytes(200), _peak_bytes(2_000)
    # Keeping 2 000 rows (or their cells) alive would cost more than a megabyte of Python objects.
    assert large - small < 500_000, (small, large)
