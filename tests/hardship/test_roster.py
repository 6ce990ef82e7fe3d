"""The lists (pinned query counts), the 困难职工花名册 read back with openpyxl (scope, filters, the
national column order and code lists, ID numbers masked unless the user may see them) and the
printed 审批表 and 档案卡."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from hardship.models import HardshipFile
from hardship.registers import mask_name
from tests.conftest import make_person, new_id_number

from .conftest import Kit

S = HardshipFile.Status
HEADER = ["序号", "职工编号", "困难类别", "姓名", "民族", "性别", "政治面貌", "身份证号", "出生日期", "健康状况", "残疾类别",
          "工作状态", "劳模类型", "住房类型", "建筑面积（㎡）", "手机号码", "婚姻状况", "户口类型", "家庭住址", "工作单位", "是否单亲",
          "本人月平均收入", "家庭其他非薪资年收入", "家庭年度总收入", "家庭人口", "家庭月人均收入", "主要致困原因", "次要致困原因",
          "建档单位", "建档日期", "复核到期日"]


def archived(kit: Kit, n: int) -> list[HardshipFile]:
    return [kit.make(S.ARCHIVED) for _ in range(n)]


def sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(body)).active
    return list(ws.iter_rows(values_only=True))


def test_the_roster_reads_back_in_the_national_column_order(kit, client_for):
    files = archived(kit, 2)
    kit.make(S.SUBMITTED)  # not on the roster
    rows = sheet(client_for("d1_sup").get("/hardship/export.xlsx"))
    assert rows[0][0] == "困难职工花名册" and "越城区职工服务中心" in rows[1][0]
    assert list(rows[2]) == HEADER
    data = rows[3:5]
    assert {r[1] for r in data} == {f.number for f in files}
    first = next(r for r in data if r[1] == files[0].number)
    person = files[0].applicant
    assert first[2] == "困难职工" and first[3] == person.name and first[5] == person.get_sex_display()
    assert first[7] == person.id_number  # a supervisor may see full ID numbers
    assert first[9] == "良好" and first[11] == "在岗" and first[13] == "租房" and first[16] == "已婚"
    assert first[24] == 3 and first[25] == 600 and first[26] == "下岗失业"
    assert rows[5][0] == "合计" and rows[5][24] == 6  # household sizes summed


def test_the_auditor_gets_masked_id_numbers(kit, client_for):
    f = archived(kit, 1)[0]
    rows = sheet(client_for("auditor").get("/hardship/export.xlsx"))
    assert rows[3][7] == f.applicant.id_number_masked and f.applicant.id_number not in str(rows)


def test_the_roster_export_has_the_lists_filters_and_scope(kit, client_for, users):
    a, b = archived(kit, 2)
    from hardship import services

    services.file_recheck(file=b, by=kit.worker, grade="extreme", opinion="加重", override_reason="病情加重")
    only_extreme = sheet(client_for("d1_sup").get("/hardship/export.xlsx?grade=extreme"))
    assert [r[1] for r in only_extreme[3:-3]] == [b.number]
    page = client_for("d1_sup").get("/hardship/roster/?grade=extreme")
    assert [f.pk for f in page.context["page"].items] == [b.pk]
    # Another district exports its own files only.
    assert sheet(client_for("d2_sup").get("/hardship/export.xlsx"))[3][0] == "合计"


def test_exporting_needs_the_export_permission(client_for):
    assert client_for("s11_clerk").get("/hardship/export.xlsx").status_code == 403


def test_page_query_counts_do_not_grow_with_rows(kit, client_for, django_assert_num_queries):
    archived(kit, 3)
    kit.make(S.APPLIED)
    client = client_for("d1_sup")
    client.get("/hardship/")  # warm the session
    # session, user, roles; the user's scope units; the page (50 + 1 rows with applicant and unit
    # joined, the scope rule inside it); the filter form's unit list. Three or thirty rows alike.
    with django_assert_num_queries(6):
        assert len(client.get("/hardship/").context["page"].items) == 4
    with django_assert_num_queries(6):
        client.get("/hardship/roster/")
    archived(kit, 3)
    with django_assert_num_queries(6):
        assert len(client.get("/hardship/roster/").context["page"].items) == 6


def test_the_file_page_query_count_is_fixed(kit, client_for, django_assert_num_queries):
    f = kit.make(S.ARCHIVED)
    client = client_for("s11_worker")
    client.get(f"/hardship/{f.pk}/")
    # The request (session, user, roles, scope), the file with its relations, then one scope check
    # per step of the workflow (the kernel's ``available``: the record's own scope rule, one query
    # each), members, incomes, overrides, visits, objections, spot check, conflicts, attachments,
    # the approvals with their people, the timeline, this year's help (the grants and the goods of
    # the household's people: two queries, a third to check which grants the user may open when
    # there are any). Fixed: nothing runs per member or per event.
    with django_assert_num_queries(34):
        client.get(f"/hardship/{f.pk}/")
    # More members, incomes and events do not add queries.
    kit.visit(f)
    from hardship import services

    services.file_report_change(file=f, by=kit.worker, note="变化")
    with django_assert_num_queries(34):
        client.get(f"/hardship/{f.pk}/")


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def test_the_approval_form_and_the_card_print(kit, client_for):
    f = kit.make(S.ARCHIVED)
    client = client_for("s11_worker")
    approval = pdf_text(client.get(f"/hardship/{f.pk}/print.pdf").content)
    assert "困难职工档案审批表" in approval and f.number in approval and f.applicant.name in approval
    squeezed = "".join(approval.split())  # lines wrap inside the table cell
    assert "人均月收入600.00元≤低保标准1100.00元×120%=1320.00元" in squeezed
    assert "越城区分管主席陈红梅" in approval
    card = pdf_text(client.get(f"/hardship/{f.pk}/card.pdf").content)
    assert "困难职工档案卡" in card and f.number in card


@pytest.mark.parametrize(("name", "masked"), [("张三丰", "张*丰"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "*")])
def test_names_are_masked_for_the_notice(name, masked):
    assert mask_name(name) == masked


def test_an_unknown_person_search_finds_nothing(kit, client_for):
    archived(kit, 1)
    other = make_person(kit.worker, name="陌生人", id_number=new_id_number())
    page = client_for("d1_sup").get("/hardship/", {"q": other.id_number})
    assert page.status_code == 200 and page.context["page"].items == []
