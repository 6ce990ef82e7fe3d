"""A petition referred to legal aid (the kernel's referrals, petitions as the source, legal aid as
the target): a linked draft and a timeline entry on both, once; scope and roles; a confidential
complainant. A failed mediation referred the same way. The hardship-worker category from a
declared "qualifies as" provider (a fake one here; the hardship app fills it later)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from legalaid import services
from legalaid.models import Application, ApplicationEvent
from petitions import services as petition_services
from petitions.models import Category
from servicecenter import referrals, registry
from servicecenter.models import AuditEvent
from servicecenter.qualifications import HARDSHIP_WORKER, Qualification, qualifications_of
from tests.conftest import make_person
from tests.legalaid.conftest import mediate

S = Application.Status
URL = "/referrals/legalaid.application/petitions.petition/{pk}/"


@pytest.fixture
def petition(users, applicant, employer):
    return petition_services.petition_intake(
        by=users["s11_clerk"], token=uuid.uuid4(), org_unit=users["s11_clerk"].org_unit, person=applicant,
        channel="visit", received_at=timezone.now(), headcount=1,
        category=Category.objects.get(name="工资报酬/拖欠工资"), facts="公司拖欠三个月工资共一万二千元。",
        request="要求支付拖欠工资。", employer=employer)


def refer(petition, by, note=""):
    target = referrals.target_by_code("legalaid.application")
    source = referrals.source_for(type(petition))
    assert target is not None and source is not None
    return referrals.referral_create(target=target, source=source, obj=petition, by=by, note=note)


def test_a_referred_petition_becomes_a_linked_draft_with_entries_on_both(users, petition, applicant, employer):
    draft = refer(petition, users["s11_clerk"], note="职工要求仲裁")
    assert isinstance(draft, Application) and draft.status == S.DRAFT
    assert (draft.applicant, draft.employer, draft.matter) == (applicant, employer, "wages")
    assert draft.facts == petition.facts and draft.request == petition.request
    assert draft.origin_label == f"信访事项 {petition.number}" and draft.origin_id == petition.pk
    assert draft.org_unit == petition.org_unit and draft.review_due_date is None
    entry = draft.events.get()
    assert entry.kind == ApplicationEvent.Kind.REFERRED and f"由信访事项 {petition.number}转入：职工要求仲裁" in entry.note
    on_petition = petition.events.filter(kind="refer").get()
    assert on_petition.label == "转法律援助" and draft.number in on_petition.note
    assert AuditEvent.objects.filter(action="petitions.refer", target_id=str(petition.pk)).exists()
    assert AuditEvent.objects.filter(action="legalaid.referred", target_id=str(draft.pk)).exists()


def test_a_petition_is_referred_once(users, petition):
    draft = refer(petition, users["s11_clerk"])
    with pytest.raises(ValidationError, match=f"该记录已转法律援助：{draft.number}"):
        refer(petition, users["s11_worker"])
    assert Application.objects.count() == 1 and petition.events.filter(kind="refer").count() == 1


def test_scope_and_roles(users, petition):
    with pytest.raises(Http404):
        refer(petition, users["s12_clerk"])
    with pytest.raises(PermissionDenied):
        refer(petition, users["auditor"])
    assert not Application.objects.exists()


def test_the_petition_page_offers_it_and_then_links_the_draft(client_for, users, petition):
    c = client_for("s11_clerk")
    body = c.get(petition.get_absolute_url()).content.decode()
    assert 'data-testid="referral-legalaid.application"' in body and "转法律援助" in body
    assert "转法律援助" not in client_for("auditor").get(petition.get_absolute_url()).content.decode()
    response = c.post(URL.format(pk=petition.pk), {"note": "请法律援助"})
    draft = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == draft.get_absolute_url()
    body = c.get(petition.get_absolute_url()).content.decode()
    assert "已转法律援助" in body and draft.number in body
    again = c.post(URL.format(pk=petition.pk), {"note": "再转一次"}, follow=True)
    assert "该记录已转法律援助" in again.content.decode() and Application.objects.count() == 1
    page = c.get(draft.get_absolute_url()).content.decode()
    assert f'href="{petition.get_absolute_url()}">信访事项 {petition.number}' in page
    assert c.get(URL.format(pk=petition.pk)).status_code == 405


def test_out_of_scope_and_unknown_targets_are_not_found(client_for, petition):
    assert client_for("s12_clerk").post(URL.format(pk=petition.pk)).status_code == 404
    assert client_for("s11_clerk").post(
        f"/referrals/nowhere.thing/petitions.petition/{petition.pk}/").status_code == 404
    assert client_for("s11_clerk").post(f"/referrals/legalaid.application/petitions.task/{petition.pk}/").status_code == 404


def test_a_confidential_complainant_is_referred_only_by_those_who_may_see_them(client_for, users, applicant, employer):
    p = petition_services.petition_intake(
        by=users["s11_clerk"], token=uuid.uuid4(), org_unit=users["s11_clerk"].org_unit, person=applicant,
        channel="visit", received_at=timezone.now(), headcount=1,
        category=Category.objects.get(name="工资报酬/拖欠工资"), facts="举报单位克扣工资。", request="查处。",
        employer=employer, is_confidential=True)
    body = client_for("s11_worker").get(p.get_absolute_url()).content.decode()
    assert "保密信访件的来访人身份仅承办人和分管领导可见" in body
    with pytest.raises(ValidationError, match="保密信访件"):
        refer(p, users["s11_worker"])
    assert refer(p, users["s11_clerk"]).applicant == applicant  # the handler


def test_declarations_are_checked_at_start_up():
    from django.core.exceptions import ImproperlyConfigured

    target = referrals.ReferralTarget("other.x", "转", "legalaid.apply", create=lambda r: None,
                                      existing=lambda s: None)
    with pytest.raises(ImproperlyConfigured, match="应以“probe.”开头"):
        registry.register(registry.ServiceApp(label="probe", name="x", referral_targets=(target,)))
    target = dataclasses.replace(target, code="probe.x", permission="probe.undeclared")
    with pytest.raises(ImproperlyConfigured, match="未声明"):
        registry.register(registry.ServiceApp(label="probe", name="x", referral_targets=(target,)))


def test_a_failed_mediation_opens_a_draft_for_one_worker(users, applicant, employer, lawyers):
    clerk = users["s11_clerk"]
    other = make_person(clerk, name="同事")
    m = mediate(clerk, [applicant, other], employer, lawyers["mediator"], matter="work_injury")
    services.mediation_fail(mediation=m, by=clerk, reason="单位不同意。", referred_to="legal_aid")
    draft = services.mediation_refer(mediation=m, by=clerk, worker=applicant)
    assert draft.origin_label == f"劳动争议调解 {m.number}" and draft.matter == "work_injury"
    with pytest.raises(ValidationError, match="请选择尚未转法律援助的申请人"):
        services.mediation_refer(mediation=m, by=clerk, worker=applicant)
    services.mediation_refer(mediation=m, by=clerk, worker=other)
    from legalaid.workflow import MEDIATION_FLOW

    assert MEDIATION_FLOW.refusal(m, clerk, "refer").message == "各申请人均已转法律援助。"


# --- the "qualifies as" hook ------------------------------------------------------------------------------


@pytest.fixture
def hardship_provider(monkeypatch):
    """A stand-in for the hardship app's declared provider: people in ``files`` have an active file."""
    files: dict[int, str] = {}

    def provider(person, day):
        if person.pk in files:
            yield Qualification(HARDSHIP_WORKER, "困难职工", f"困难职工档案 {files[person.pk]}")

    host = registry.service_app("hardship") or registry.service_app("jobs")
    if host is None:
        pytest.skip("no installed app to carry the fake provider")
    monkeypatch.setitem(registry._APPS, host.label, dataclasses.replace(host, qualifications=provider))
    return files


def test_a_hardship_file_makes_the_applicant_a_hardship_worker(users, applicant, employer, hardship_provider, petition):
    hardship_provider[applicant.pk] = "KN-330602001-2026-00003"
    assert qualifications_of(applicant, datetime.date.today())[0].code == HARDSHIP_WORKER
    draft = refer(petition, users["s11_clerk"])
    assert draft.qualifies == Application.Qualifies.HARDSHIP
    assert draft.qualifies_basis == "困难职工（困难职工档案 KN-330602001-2026-00003）"


def test_without_a_file_staff_choose_and_a_hardship_claim_needs_its_basis(users, applicant, employer,
                                                                         hardship_provider):
    from tests.legalaid.conftest import intake

    a = intake(users["s11_clerk"], applicant, employer, qualifies="", complete=False)
    assert a.qualifies == ""
    with pytest.raises(ValidationError, match="系统中没有该职工的困难职工档案"):
        intake(users["s11_clerk"], applicant, employer, qualifies="hardship")
    b = intake(users["s11_clerk"], applicant, employer, qualifies="hardship", qualifies_basis="工会出具的经济困难证明")
    assert b.qualifies_basis == "工会出具的经济困难证明"


def test_with_no_provider_at_all_nothing_is_detected_but_the_model_worker_tag_is(users, employer):
    from tests.legalaid.conftest import intake

    assert registry.qualification_providers() == [] or all(
        not list(p(make_person(users["s11_clerk"]), datetime.date.today()))
        for p in registry.qualification_providers())
    worker = make_person(users["s11_clerk"], name="劳模", model_worker="city")
    a = intake(users["s11_clerk"], worker, employer, qualifies="", complete=False)
    assert a.qualifies == Application.Qualifies.MODEL_WORKER and a.qualifies_basis == "地市级劳模"
