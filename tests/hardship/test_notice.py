"""公示: the period on the working-day calendar (the posting day does not count), across a
holiday and a worked weekend day, moved by a holiday edit; the notice's bad input; objections;
submission and approval refused before the notice ends or with an open objection; the PDF."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from hardship import services
from hardship.models import HardshipFile, Objection
from servicecenter.holidays import calendar_day_save
from servicecenter.models import CalendarDay
from tests.conftest import new_id_number

S = HardshipFile.Status
d = datetime.date


def reviewed(kit, freeze, day: datetime.date) -> HardshipFile:
    freeze(day)
    f = kit.make(S.REVIEWED)
    return f


def posted(kit, freeze, start: datetime.date, **kwargs) -> HardshipFile:
    f = reviewed(kit, freeze, start)
    services.file_post_notice(file=f, by=kit.worker, place="社区公示栏", start=start, **kwargs)
    f.refresh_from_db()
    return f


def test_the_posting_day_does_not_count(kit, freeze):
    # Posted Monday 2 March 2026: five working days after it are 3, 4, 5, 6 and 9 March.
    f = posted(kit, freeze, d(2026, 3, 2))
    assert (f.notice_started_on, f.notice_due_date, f.notice_deadline_days) == (d(2026, 3, 2), d(2026, 3, 9), 5)
    freeze(d(2026, 3, 9))  # the last day of the notice: not yet
    with pytest.raises(ValidationError, match="公示期至2026-03-09，期满后方可报送审批"):
        services.file_submit(file=f, by=kit.worker, note="报请审批")
    freeze(d(2026, 3, 10))
    services.file_submit(file=f, by=kit.worker, note="报请审批")
    assert HardshipFile.objects.get(pk=f.pk).status == S.SUBMITTED


def test_the_notice_runs_across_national_day_and_counts_the_worked_saturday(kit, freeze):
    # 2026: 1–7 October off, Saturday 10 October worked (the seeded calendar).
    f = posted(kit, freeze, d(2026, 9, 29))
    # 30 Sep, 8 Oct, 9 Oct, 10 Oct (Saturday, worked), 12 Oct.
    assert f.notice_due_date == d(2026, 10, 12)


def test_a_holiday_added_later_moves_the_open_notice(kit, freeze):
    f = posted(kit, freeze, d(2026, 3, 2))
    moved = calendar_day_save(day=CalendarDay(date=d(2026, 3, 5), kind=CalendarDay.Kind.HOLIDAY, name="测试假日"))
    assert moved == 1
    assert HardshipFile.objects.get(pk=f.pk).notice_due_date == d(2026, 3, 10)


def test_a_notice_that_ends_before_it_starts_or_too_early_is_refused(kit, freeze):
    f = reviewed(kit, freeze, d(2026, 3, 2))
    before = HardshipFile.objects.filter(pk=f.pk).values().get()
    for end, message in ((d(2026, 3, 1), "公示结束日期不能早于开始日期"),
                         (d(2026, 3, 6), "公示期不少于5个工作日（张贴当日不计），最早至2026-03-09")):
        with pytest.raises(ValidationError) as caught:
            services.file_post_notice(file=f, by=kit.worker, place="公示栏", start=d(2026, 3, 2), end=end)
        assert message in caught.value.message_dict["end"][0]
    with pytest.raises(ValidationError) as caught:
        services.file_post_notice(file=f, by=kit.worker, place="公示栏", start=d(2026, 2, 27))
    assert "不能早于审核日期" in caught.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as caught:
        services.file_post_notice(file=f, by=kit.worker, place=" ", start=d(2026, 3, 2))
    assert caught.value.message_dict["place"] == ["请填写公示地点。"]
    assert HardshipFile.objects.filter(pk=f.pk).values().get() == before


def test_a_longer_notice_runs_to_its_end(kit, freeze):
    f = posted(kit, freeze, d(2026, 3, 2), end=d(2026, 3, 13))
    assert f.notice_due_date == d(2026, 3, 13) and f.notice_deadline_days == 9


def test_the_notice_days_are_a_parameter(kit, freeze, units):
    from .conftest import set_param

    set_param(units["330600"], "hardship.notice_working_days", "7")
    f = posted(kit, freeze, d(2026, 3, 2))
    assert f.notice_due_date == d(2026, 3, 11)


def test_approval_is_refused_before_the_notice_ends(kit, freeze):
    f = posted(kit, freeze, d(2026, 3, 2))
    with pytest.raises(ValidationError, match="公示期满、异议处理完毕并由申报单位报送后，方可审批"):
        services.file_approve(file=f, by=kit.sup, grade="hardship")
    # Submitted after the notice; then the calendar gains a holiday that pushes the end to today.
    freeze(d(2026, 3, 10))
    services.file_submit(file=f, by=kit.worker, note="报请审批")
    calendar_day_save(day=CalendarDay(date=d(2026, 3, 4), kind=CalendarDay.Kind.HOLIDAY, name="测试假日"))
    f.refresh_from_db()
    assert f.notice_due_date == d(2026, 3, 10)
    with pytest.raises(ValidationError, match="公示期至2026-03-10，期满后方可审批"):
        services.file_approve(file=f, by=kit.sup, grade="hardship")
    freeze(d(2026, 3, 11))
    services.file_approve(file=f, by=kit.sup, grade="hardship")
    assert HardshipFile.objects.get(pk=f.pk).status == S.ARCHIVED


def test_an_open_objection_blocks_submission_and_approval_until_resolved(kit, freeze):
    f = posted(kit, freeze, d(2026, 3, 2))
    freeze(d(2026, 3, 4))
    objection = services.objection_record(file=f, by=kit.worker, received_on=d(2026, 3, 4), raised_by="",
                                          content="申请人另有门面房出租收入。")
    freeze(d(2026, 3, 10))
    with pytest.raises(ValidationError, match="有尚未处理的公示异议"):
        services.file_submit(file=f, by=kit.worker, note="报请审批")
    with pytest.raises(ValidationError) as caught:
        services.objection_resolve(file=f, by=kit.worker, upheld=None, resolution="核实")
    assert caught.value.message_dict["upheld"] == ["请选择异议是否成立。"]
    services.objection_resolve(file=f, by=kit.worker, upheld=False, resolution="经核实门面房已于去年出售，异议不成立。")
    objection.refresh_from_db()
    assert objection.upheld is False and objection.resolved_on == d(2026, 3, 10)
    services.file_submit(file=f, by=kit.worker, note="报请审批")
    # An objection that arrives late still stops the district until it is resolved.
    services.objection_record(file=f, by=kit.worker, received_on=d(2026, 3, 10), content="另有反映。")
    with pytest.raises(ValidationError, match="有尚未处理的公示异议"):
        services.file_approve(file=f, by=kit.sup, grade="hardship")
    assert Objection.objects.filter(file=f, resolved_on__isnull=True).count() == 1


def test_an_objection_dated_before_the_notice_or_in_the_future_is_refused(kit, freeze):
    f = posted(kit, freeze, d(2026, 3, 2))
    for day, message in ((d(2026, 3, 1), "不能早于公示开始日期"), (d(2026, 3, 3), "不能晚于今天")):
        with pytest.raises(ValidationError) as caught:
            services.objection_record(file=f, by=kit.worker, received_on=day, content="x")
        assert message in caught.value.message_dict["received_on"][0]
    assert not Objection.objects.exists()


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def test_the_notice_list_pdf_masks_names_and_has_no_id_numbers(kit, freeze, client_for):
    freeze(d(2026, 3, 2))
    people = [kit.person(name=name, id_number=new_id_number()) for name in ("张三丰", "李四", "欧阳娜娜")]
    for p in people:
        f = kit.make(S.REVIEWED, person=p)
        services.file_post_notice(file=f, by=kit.worker, place="府山街道公示栏", start=d(2026, 3, 2))
    response = client_for("s11_worker").get("/hardship/notices.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "困难职工公示名单" in text and "张*丰" in text and "李*" in text and "欧**娜" in text
    for p in people:
        assert p.name not in text
        assert p.id_number not in text and p.id_number_masked not in text and p.id_number[:6] not in text
    page = client_for("s11_worker").get("/hardship/notices/").content.decode()
    assert "2026-03-02 至 2026-03-09" in page
