"""年度复核 and exit: files due a year after approval or their last review, and at once after a
change of circumstances; 一年未改; a review re-runs eligibility on the current figures and today's
parameters; continue (same or another grade), exit (with the reason) or close; exited files stay
readable; a file that is not archived cannot be reviewed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from hardship import codes, services
from hardship.models import HardshipFile, Member
from hardship.selectors import recheck_due_q, roster_for, stale_q

from .conftest import set_param

S = HardshipFile.Status


def test_due_a_year_after_approval(kit, freeze):
    freeze(datetime.date(2025, 5, 10))
    f = kit.make(S.ARCHIVED)
    assert f.approved_on == datetime.date(2025, 5, 10) and f.recheck_due == datetime.date(2026, 5, 10)
    due = lambda day: HardshipFile.objects.filter(recheck_due_q(day)).filter(pk=f.pk).exists()  # noqa: E731
    stale = lambda day: HardshipFile.objects.filter(stale_q(day)).filter(pk=f.pk).exists()  # noqa: E731
    assert not due(datetime.date(2026, 5, 9)) and due(datetime.date(2026, 5, 10))
    assert not stale(datetime.date(2026, 5, 10)) and stale(datetime.date(2026, 5, 11))  # 一年未改: over a year
    freeze(datetime.date(2026, 5, 12))
    services.file_recheck(file=f, by=kit.worker, grade=codes.Grade.HARDSHIP, opinion="家庭情况无变化。")
    f.refresh_from_db()
    assert f.rechecked_on == datetime.date(2026, 5, 12) and f.recheck_due == datetime.date(2027, 5, 12)
    assert not due(datetime.date(2026, 5, 12)) and not stale(datetime.date(2026, 5, 12))


def test_a_change_of_circumstances_makes_it_due_at_once(kit, client_for):
    f = kit.make(S.ARCHIVED)
    services.file_report_change(file=f, by=kit.worker, note="配偶已再就业。")
    f.refresh_from_db()
    assert f.recheck_due == timezone.localdate() and f.change_note == "配偶已再就业。"
    page = client_for("s11_worker").get("/hardship/roster/?recheck=due")
    assert [row.pk for row in page.context["page"].items] == [f.pk]
    services.file_recheck(file=f, by=kit.worker, grade=codes.Grade.HARDSHIP, opinion="收入仍低。")
    f.refresh_from_db()
    assert f.change_reported_on is None and f.recheck_due > timezone.localdate()


def test_a_review_uses_the_current_figures_and_todays_parameters(kit, units):
    f = kit.make(S.ARCHIVED)
    decision = f.decision
    set_param(units["330602"], "dibao.monthly_standard", "400", year=timezone.localdate().year)  # 400 × 120% = 480: 633.33 a head is over
    Member.objects.filter(file=f, relation="self").update(monthly_income=Decimal("1900"))
    with pytest.raises(ValidationError) as caught:
        services.file_recheck(file=f, by=kit.worker, grade=codes.Grade.HARDSHIP, opinion="维持")
    assert "核算结论为“不符合认定条件”，继续在档（困难职工）须写明理由" in caught.value.message_dict["override_reason"][0]
    f.refresh_from_db()
    assert f.latest_evaluation_id == decision.pk  # nothing was kept of the refused review
    services.file_recheck(file=f, by=kit.worker, grade=codes.Grade.HARDSHIP, opinion="维持",
                          override_reason="本人下月起病休，收入将大幅下降。")
    f.refresh_from_db()
    latest = f.latest_evaluation
    assert latest.purpose == "年度复核" and latest.verdict == "none"
    assert latest.params["dibao.monthly_standard"]["value"] == "400"
    assert f.decision_id == decision.pk  # the archived decision itself is untouched


def test_a_review_may_change_the_grade(kit):
    f = kit.make(S.ARCHIVED)
    services.file_recheck(file=f, by=kit.worker, grade=codes.Grade.EXTREME, opinion="病情加重",
                          override_reason="本人确诊尿毒症，已享受低保。")
    f.refresh_from_db()
    assert f.grade == codes.Grade.EXTREME
    event = f.events.filter(kind="recheck").get()
    assert event.data["grade_before"] == "hardship" and "类别由困难职工调整为特困职工" in event.note


def test_exit_with_its_reason_and_the_file_stays_readable(kit, client_for):
    f = kit.make(S.ARCHIVED)
    with pytest.raises(ValidationError) as caught:
        services.file_exit(file=f, by=kit.worker, reason="")
    assert caught.value.message_dict["reason"] == ["请选择脱困原因。"]
    # The rules still find the household eligible: leaving needs the written reason.
    with pytest.raises(ValidationError) as caught:
        services.file_exit(file=f, by=kit.worker, reason=codes.ExitReason.REEMPLOYED)
    assert "解困脱困须写明理由" in caught.value.message_dict["note"][0]
    services.file_exit(file=f, by=kit.worker, reason=codes.ExitReason.REEMPLOYED, note="本人已在越兴纺织再就业。")
    f.refresh_from_db()
    assert f.status == S.EXITED and f.ended_on == timezone.localdate() and f.end_reason == "reemployed"
    assert not roster_for(kit.worker).filter(pk=f.pk).exists()
    for username in ("s11_worker", "d1_sup", "city_sup"):
        page = client_for(username).get(f"/hardship/{f.pk}/")
        assert page.status_code == 200 and "已解困脱困" in page.content.decode(), username


def test_close_for_death_or_moving_away(kit):
    f = kit.make(S.ARCHIVED)
    with pytest.raises(ValidationError) as caught:
        services.file_close(file=f, by=kit.worker, reason=codes.CloseReason.CHECK_FAILED)
    assert caught.value.message_dict["note"] == ["请说明注销情况。"]
    services.file_close(file=f, by=kit.worker, reason=codes.CloseReason.DECEASED)
    assert HardshipFile.objects.get(pk=f.pk).status == S.CLOSED


@pytest.mark.parametrize("state", [S.APPLIED, S.NOTICE, S.SUBMITTED, S.EXITED])
def test_a_file_that_is_not_archived_cannot_be_reviewed(kit, state):
    f = kit.make(state)
    before = HardshipFile.objects.filter(pk=f.pk).values().get()
    with pytest.raises(ValidationError, match=f"当前状态为“{f.get_status_display()}”，不能年度复核"):
        services.file_recheck(file=f, by=kit.worker, grade="hardship", opinion="x")
    assert HardshipFile.objects.filter(pk=f.pk).values().get() == before
