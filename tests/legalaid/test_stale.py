"""An application left incomplete past ``legalaid.supplement_days`` (30) closes as withdrawn, with
a notice: a draft counted from its registration, one waiting for material from the request."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from legalaid import services
from legalaid.models import Application
from tests.conftest import make_employer, make_person
from tests.legalaid.conftest import bring, intake, set_param

D = datetime.date
S = Application.Status


def test_stale_drafts_and_unanswered_requests_are_withdrawn_and_the_rest_kept(users, applicant, employer, freeze):
    clerk = users["s11_clerk"]
    freeze(D(2026, 3, 2))
    old_draft = intake(clerk, applicant, employer, complete=False)
    waiting = bring(intake(clerk, applicant, employer), S.SUPPLEMENT, users)
    freeze(D(2026, 3, 20))
    fresh_draft = intake(clerk, applicant, employer, complete=False)
    under_review = intake(clerk, applicant, employer)
    freeze(D(2026, 4, 1))  # 30 days after 3/2: not yet past the period
    assert services.applications_withdraw_stale(by=users["d1_sup"]) == []
    freeze(D(2026, 4, 2))  # 31 days
    done = services.applications_withdraw_stale(by=users["d1_sup"])
    assert {a.pk for a in done} == {old_draft.pk, waiting.pk}
    for a in (old_draft, waiting, fresh_draft, under_review):
        a.refresh_from_db()
    assert old_draft.status == waiting.status == S.WITHDRAWN and old_draft.withdrawn_as_stale
    assert "自2026年03月02日受理起30日内未补齐申请材料" in old_draft.withdrawal_reason
    assert "通知补充材料起30日内未补充" in waiting.withdrawal_reason
    assert waiting.review_stopped_on == D(2026, 4, 2) and waiting.review_paused_since is None
    assert fresh_draft.status == S.DRAFT and under_review.status == S.REVIEW
    assert "已生成视为撤回申请通知书" in old_draft.events.last().note


def test_the_period_is_a_parameter_and_the_step_refuses_before_it(users, units, applicant, employer, freeze):
    set_param(units["330602"], "legalaid.supplement_days", "10")
    freeze(D(2026, 3, 2))
    a = intake(users["s11_clerk"], applicant, employer, complete=False)
    freeze(D(2026, 3, 12))
    with pytest.raises(ValidationError, match="补充材料期限（10天）尚未届满"):
        services.application_withdraw_stale(application=a, by=users["s11_clerk"])
    freeze(D(2026, 3, 13))
    services.application_withdraw_stale(application=a, by=users["s11_clerk"])


def test_the_notice_prints(users, applicant, employer, freeze, client_for):
    freeze(D(2026, 3, 2))
    a = intake(users["s11_clerk"], applicant, employer, complete=False)
    freeze(D(2026, 4, 6))
    services.applications_withdraw_stale(by=users["s11_clerk"])
    response = client_for("s11_clerk").get(f"/legalaid/applications/{a.pk}/withdrawal.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "视为撤回申请通知书" in text and applicant.name in text and a.number in text


def test_only_a_stale_withdrawal_has_the_notice(users, applicant, employer, client_for):
    a = intake(users["s11_clerk"], applicant, employer)
    response = client_for("s11_clerk").get(f"/legalaid/applications/{a.pk}/withdrawal.pdf")
    assert response.status_code == 302


def test_the_daily_command(users, applicant, employer, freeze):
    freeze(D(2026, 3, 2))
    a = intake(users["s11_clerk"], applicant, employer, complete=False)
    far = users["s21_clerk"]
    other_district = intake(far, make_person(far, name="百官职工"), make_employer(far.org_unit), complete=False)
    freeze(D(2026, 4, 6))
    out = io.StringIO()
    call_command("legalaid_withdraw_stale", "--by", "d1_sup", stdout=out)
    assert a.number in out.getvalue() and "共 1 件视为撤回" in out.getvalue()
    other_district.refresh_from_db()
    assert other_district.status == S.DRAFT  # outside d1_sup's scope
    with pytest.raises(CommandError, match="不存在"):
        call_command("legalaid_withdraw_stale", "--by", "nobody")


def test_a_role_that_does_not_handle_cases_withdraws_nothing(users, applicant, employer, freeze):
    freeze(D(2026, 3, 2))
    a = intake(users["s11_clerk"], applicant, employer, complete=False)
    freeze(D(2026, 4, 6))
    with pytest.raises(PermissionDenied):
        services.applications_withdraw_stale(by=users["auditor"])
    a.refresh_from_db()
    assert a.status == S.DRAFT
