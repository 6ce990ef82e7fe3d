"""Crawl every URL pattern of the project and check the access rules that hold for all of them.

Each URL name needs an entry in RULES. A new URL without one fails ``test_every_url_has_a_rule``,
so no app can forget to think about who may reach it.
"""

from __future__ import annotations

import datetime
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from funds.batch_views import STEPS as BATCH_STEPS
from funds.views import STEPS as FUNDS_STEPS
from hardship.views import STEPS as HARDSHIP_STEPS
from jobs import views as jobs_views
from legalaid import services as legalaid_services
from legalaid.views import MEDIATION_STEPS
from legalaid.views import STEPS as APPLICATION_STEPS
from petitions import services as petition_services
from petitions.models import Category
from petitions.views import HOTLINE_PAGE, SUBMISSION_PAGE
from petitions.views import STEPS as PETITION_STEPS
from servicecenter import exportjobs
from servicecenter import summaries as summary_services
from servicecenter.attachments import attachment_add
from servicecenter.figures import last_ended_month
from servicecenter.views.reports import STEPS as SUMMARY_STEPS
from tests.conftest import login, make_employer, make_person

XSS_NAME = "<script>alert(1)</script>"
JOBS_STEPS = {name: list(page.steps) for name, page in (
    ("posting", jobs_views.POSTING_PAGE), ("seeker", jobs_views.SEEKER_PAGE), ("referral", jobs_views.REFERRAL_PAGE),
    ("recruiter", jobs_views.RECRUITER_PAGE), ("course", jobs_views.COURSE_PAGE),
    ("enrolment", jobs_views.ENROLMENT_PAGE), ("fair", jobs_views.FAIR_PAGE))}


@dataclass(frozen=True)
class Rule:
    kind: str  # public (the login page) | open (online self-service) | account | page | object | admin
    obj: str = ""  # object URLs: which fixture object fills <pk>
    post_only: bool = False
    # A page whose POST only reads (the ID lookup posts the number so it is never in a URL).
    post_reads: bool = False


PAGE = Rule("page")
RULES: dict[str, Rule] = {
    "login": Rule("public"),
    "healthz": Rule("public"),
    "readyz": Rule("public"),
    "logout": Rule("account", post_only=True),
    "password_change": Rule("account"),
    "account_changes": PAGE,
    "dashboard": PAGE,
    "reports": PAGE,
    "audit_log": PAGE,
    "person_list": PAGE,
    "person_new": PAGE,
    "person_lookup": Rule("page", post_reads=True),
    "person_attach": Rule("page", post_only=True),
    "person_export": PAGE,
    "person_detail": Rule("object", "person"),
    "person_edit": Rule("object", "person"),
    "person_reveal": Rule("object", "person", post_only=True),
    "person_print": Rule("object", "person"),
    "employer_list": PAGE,
    "employer_new": PAGE,
    "employer_export": PAGE,
    "employer_detail": Rule("object", "employer"),
    "employer_edit": Rule("object", "employer"),
    "attachment_download": Rule("object", "attachment"),
    "attachment_upload": Rule("object", "upload_target", post_only=True),
    "inbox": PAGE,
    "export_job_list": PAGE,
    "export_job": Rule("object", "export_job"),
    "export_job_status": Rule("object", "export_job"),
    "export_job_download": Rule("object", "export_job"),
    "petitions:landing": PAGE,
    "petitions:list": PAGE,
    "petitions:new": PAGE,
    "petitions:export": PAGE,
    "petitions:escalations": PAGE,
    "petitions:follow_ups": PAGE,
    "petitions:notices": PAGE,
    "petitions:tasks": PAGE,
    "petitions:task_new": PAGE,
    "petitions:task_detail": Rule("object", "task"),
    "petitions:task_report": Rule("object", "task_target", post_only=True),
    "petitions:detail": Rule("object", "petition"),
    "petitions:print": Rule("object", "petition"),
    "petitions:report_print": Rule("object", "petition"),
    "petitions:notice_print": Rule("object", "notice"),
    "petitions:notice_response": Rule("object", "notice", post_only=True),
    **{f"petitions:{step}": Rule("object", "petition", post_only=True) for step in PETITION_STEPS},
    "petitions:referral_print": Rule("object", "petition"),
    "petitions:hotline_print": Rule("object", "hotline"),
    **{f"petitions:hotline_{step}": Rule("object", "hotline", post_only=True) for step in HOTLINE_PAGE.steps},
    "petitions:task_link": Rule("object", "task_target", post_only=True),
    "petitions:submissions": PAGE,
    "petitions:submission_detail": Rule("object", "submission"),
    "petitions:submission_file": Rule("object", "submission_file"),
    **{f"petitions:submission_{step}": Rule("object", "submission", post_only=True) for step in SUBMISSION_PAGE.steps},
    # Online self-service: no login, and the only pages without one (servicecenter/public.py).
    "petitions_public:index": Rule("open"),
    "petitions_public:submit": Rule("open"),
    "petitions_public:submitted": Rule("open"),
    "petitions_public:lookup": Rule("open"),
    "hardship:landing": PAGE,
    "hardship:list": PAGE,
    "hardship:new": PAGE,
    "hardship:roster": PAGE,
    "hardship:export": PAGE,
    "hardship:notices": PAGE,
    "hardship:notice_print": PAGE,
    "hardship:reports": PAGE,
    "hardship:report": Rule("object", "city_report"),
    "hardship:report_acknowledge": Rule("object", "city_report", post_only=True),
    "hardship:detail": Rule("object", "hardship_file"),
    "hardship:edit": Rule("object", "hardship_file"),
    "hardship:print": Rule("object", "hardship_file"),
    "hardship:card": Rule("object", "hardship_file"),
    "hardship:visit_detail": Rule("object", "home_visit"),
    "hardship:evaluation": Rule("object", "evaluation"),
    **{f"hardship:{step}": Rule("object", "hardship_file", post_only=True) for step in HARDSHIP_STEPS},
    "referral_create": Rule("object", "referral_source", post_only=True),
    "legalaid:landing": PAGE,
    "legalaid:applications": PAGE,
    "legalaid:application_new": PAGE,
    "legalaid:application_export": PAGE,
    "legalaid:application_detail": Rule("object", "application"),
    "legalaid:application_edit": Rule("object", "application"),
    "legalaid:application_print": Rule("object", "application"),
    "legalaid:approval_print": Rule("object", "application"),
    "legalaid:refusal_print": Rule("object", "application"),
    "legalaid:withdrawal_print": Rule("object", "application"),
    "legalaid:assignment_print": Rule("object", "application"),
    **{f"legalaid:{step}": Rule("object", "application", post_only=True) for step in APPLICATION_STEPS},
    "legalaid:mediations": PAGE,
    "legalaid:mediation_new": PAGE,
    "legalaid:mediation_export": PAGE,
    "legalaid:mediation_detail": Rule("object", "mediation"),
    "legalaid:agreement_print": Rule("object", "mediation"),
    **{f"legalaid:mediation_{step}": Rule("object", "mediation", post_only=True) for step in MEDIATION_STEPS},
    "legalaid:consultations": PAGE,
    "legalaid:consultation_new": PAGE,
    "legalaid:advisors": PAGE,
    "legalaid:advisor_new": PAGE,
    "legalaid:advisor_detail": Rule("object", "advisor"),
    "legalaid:advisor_edit": Rule("object", "advisor"),
    "legalaid:advisor_tie_add": Rule("object", "advisor", post_only=True),
    "legalaid:advisor_tie_remove": Rule("object", "advisor_tie", post_only=True),
    "legalaid:reception": PAGE,
    "legalaid:offenders": PAGE,
    "legalaid:figures": PAGE,
    "jobs:landing": PAGE,
    **{f"jobs:{name}": PAGE for name in (
        "postings", "posting_new", "posting_export", "seekers", "seeker_new", "seeker_export", "referrals",
        "referral_export", "recruiters", "recruiter_new", "courses", "course_new", "trainees", "trainee_export",
        "fairs", "fair_new", "rates")},
    # A draft posting and a cancelled course: published postings and courses are seen by every unit
    # (jobs/selectors.py); their steps are refused to other units by the workflow (403).
    **{f"jobs:posting_{name}": Rule("object", "jobs_posting", post_only=True) for name in JOBS_STEPS["posting"]},
    "jobs:posting_detail": Rule("object", "jobs_posting"),
    "jobs:posting_edit": Rule("object", "jobs_posting"),
    "jobs:posting_matches": Rule("object", "jobs_posting"),
    **{f"jobs:seeker_{name}": Rule("object", "jobs_seeker", post_only=True)
       for name in (*JOBS_STEPS["seeker"], "refer", "photo")},
    "jobs:seeker_detail": Rule("object", "jobs_seeker"),
    "jobs:seeker_edit": Rule("object", "jobs_seeker"),
    "jobs:seeker_matches": Rule("object", "jobs_seeker"),
    **{f"jobs:referral_{name}": Rule("object", "jobs_referral", post_only=True) for name in JOBS_STEPS["referral"]},
    "jobs:referral_detail": Rule("object", "jobs_referral"),
    "jobs:referral_letter": Rule("object", "jobs_referral"),
    **{f"jobs:recruiter_{name}": Rule("object", "jobs_recruiter", post_only=True)
       for name in (*JOBS_STEPS["recruiter"], "add_paper")},
    "jobs:recruiter_detail": Rule("object", "jobs_recruiter"),
    **{f"jobs:course_{name}": Rule("object", "jobs_course", post_only=True) for name in JOBS_STEPS["course"]},
    "jobs:course_detail": Rule("object", "jobs_course"),
    **{f"jobs:enrolment_{name}": Rule("object", "jobs_enrolment", post_only=True) for name in JOBS_STEPS["enrolment"]},
    "jobs:enrolment_detail": Rule("object", "jobs_enrolment"),
    **{f"jobs:fair_{name}": Rule("object", "jobs_fair", post_only=True) for name in JOBS_STEPS["fair"]},
    "jobs:fair_detail": Rule("object", "jobs_fair"),
    "funds:landing": PAGE,
    **{f"funds:{name}": PAGE for name in ("grants", "grant_new", "grant_export", "sources", "source_new", "accounts",
                                           "ledger", "ledger_export", "budgets", "year_closes",
                                           "announcement", "payment_list", "source_export", "stock", "stock_item_new",
                                           "stock_receive", "stock_close", "stocktakes", "stocktake_new",
                                           "stock_movements", "stock_export")},
    "funds:grant_goods": Rule("object", "funds_grant"),
    "funds:stock_day": Rule("object", "funds_stock_day"),
    "funds:stock_day_print": Rule("object", "funds_stock_day"),
    "funds:grant": Rule("object", "funds_grant"),
    "funds:grant_print": Rule("object", "funds_grant"),
    **{f"funds:{name}": Rule("object", "funds_grant", post_only=True) for name in FUNDS_STEPS},
    "funds:source": Rule("object", "funds_source"),
    "funds:source_receipt": Rule("object", "funds_source"),
    "funds:account": Rule("object", "funds_account"),
    "funds:account_allocate": Rule("object", "funds_account", post_only=True),
    "funds:entry_reverse": Rule("object", "funds_entry", post_only=True),
    "funds:batches": PAGE,
    "funds:batch_new": PAGE,
    "funds:batch": Rule("object", "funds_batch"),
    "funds:batch_bank_list": Rule("object", "funds_batch"),
    **{f"funds:batch_{name}": Rule("object", "funds_batch", post_only=True)
       for name in (*BATCH_STEPS, "pay", "bank_details", "reissue", "bank_export", "bank_import")},
    "reports:stats": PAGE,
    "reports:stats_export": PAGE,
    "reports:stats_print": PAGE,
    "reports:unit_month": Rule("object", "unit_month"),
    "reports:start": Rule("object", "unit_month", post_only=True),
    "reports:waive": Rule("object", "unit_month", post_only=True),
    "reports:summary": Rule("object", "summary"),
    "reports:export": Rule("object", "summary"),
    "reports:print": Rule("object", "summary"),
    **{f"reports:{step}": Rule("object", "summary", post_only=True) for step in SUMMARY_STEPS},
}


def _walk(patterns: list, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _walk(entry.url_patterns, ns)
        else:
            yield (f"{namespace}:{entry.name}".strip(":") if entry.name else f"{namespace}:<unnamed>"), entry


def all_urls() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def rule_for(name: str) -> Rule:
    if name.startswith("admin:"):
        return Rule("admin")
    return RULES[name]


@pytest.fixture
def objects(users, units, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = users["s11_clerk"]
    employer = make_employer(clerk.org_unit, name=f"{XSS_NAME}公司")
    person = make_person(clerk, name=XSS_NAME, employer=employer, address=XSS_NAME)
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    png.name = "证件.png"
    png.size = len(png.getvalue())
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("证件.png", png.getvalue(), content_type="image/png")
    attachment = attachment_add(by=clerk, owner=person, upload=upload)
    petition = petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=person, channel="visit",
        received_at=timezone.now(), headcount=1, category=Category.objects.first(), facts=XSS_NAME,
        request=XSS_NAME, employer=employer, is_confidential=True)
    notice = petition_services.notice_issue(petition=petition, by=clerk, kind="suggestion", content=XSS_NAME)
    task = petition_services.task_create(by=users["d1_sup"], title=XSS_NAME, content=XSS_NAME,
                                         due_date=timezone.localdate() + datetime.timedelta(days=5),
                                         units=[clerk.org_unit])
    hotline = petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=petition_services.Caller(XSS_NAME, "13800000001"),
        channel="12351", received_at=timezone.now(), headcount=1, category=Category.objects.first(), facts=XSS_NAME,
        request=XSS_NAME, hotline=petition_services.HotlineDetails(
            "GD-XSS-1", "13800000001", XSS_NAME, timezone.now(), "complaint", timezone.localdate()))
    petition_services.hotline_feedback(order=hotline.hotline_order, by=clerk, feedback=XSS_NAME)
    upload = SimpleUploadedFile("材料.png", png.getvalue(), content_type="image/png")
    submission, _ = petition_services.submission_create(
        token=uuid.uuid4(), org_unit=clerk.org_unit, name=XSS_NAME, phone="13800000002", employer_name=XSS_NAME,
        category=Category.objects.first(), facts=XSS_NAME, request=XSS_NAME, files=[upload], client="crawl")
    # 法律援助: an advisor registered at the station (so outsiders in the district above it see
    # nothing of it either: the district supervisor d1_sup is not in the crawl's outsiders), tied
    # to the employer; an application and a mediation at the station.
    advisor = legalaid_services.advisor_save(by=clerk, org_unit=clerk.org_unit, kind="lawyer", name=XSS_NAME,
                                             firm=XSS_NAME, licence_number="13306201810009999", phone="",
                                             specialities=XSS_NAME, pledge_signed_on=None, is_active=True, note="")
    tie = legalaid_services.advisor_tie_add(by=clerk, advisor=advisor, employer=employer, relation="counsel",
                                            note=XSS_NAME)
    application = legalaid_services.application_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, applicant=person, matter="wages", facts=XSS_NAME,
        request=XSS_NAME, evidence=XSS_NAME, employer=employer)
    mediator = legalaid_services.advisor_save(by=clerk, org_unit=clerk.org_unit, kind="mediator", name="调解员",
                                              firm="", licence_number="", phone="", specialities="",
                                              pledge_signed_on=None, is_active=True, note="")
    other = make_employer(clerk.org_unit, name=f"{XSS_NAME}另一公司")
    mediation = legalaid_services.mediation_intake(by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit,
                                                   workers=[person], employer=other, mediator=mediator, matter="wages",
                                                   request=XSS_NAME, facts=XSS_NAME)
    # Export jobs belong to the user who asked (here the district supervisor); nobody else sees them.
    export_job = exportjobs.export_job_enqueue(user=users["d1_sup"], source=exportjobs.PERSON_EXPORT, query="")
    exportjobs.export_job_run(export_job.pk)
    # A station's monthly summary (its written part a script), and a month of that station with none.
    month = last_ended_month()
    summary = summary_services.summary_start(unit=clerk.org_unit, year=month.year, month=month.month_number,
                                             by=users["s11_worker"], work_done=XSS_NAME, problems=XSS_NAME)
    # An archived hardship file of the same person (the city and the auditor see archived files).
    from tests.hardship.conftest import Kit, household, member

    kit = Kit(users, units)
    hardship_file = kit.make("archived", household=household(person, members=[
        member("self", XSS_NAME, "1000", id_number=person.id_number), member("spouse", XSS_NAME, age=40)],
        address=XSS_NAME, needs=XSS_NAME))
    return {"person": person, "employer": employer, "attachment": attachment, "petition": petition,
            "hardship_file": hardship_file, "home_visit": hardship_file.visits.get(),
            "evaluation": hardship_file.latest_evaluation, "city_report": hardship_file.city_report,
            "export_job": export_job, "summary": summary, "unit_month": (clerk.org_unit, month.previous()),
            "notice": notice, "task": task, "task_target": task.targets.get(), "hotline": hotline,
            "submission": submission, "submission_file": submission.files.get(),
            "application": application, "mediation": mediation, "advisor": advisor, "advisor_tie": tie,
            **_jobs_objects(clerk, employer, person), **_funds_objects(users, person), **_batch_objects(users)}


def _batch_objects(users) -> dict:  # noqa: ANN001
    """批量救助: a batch at station 330602001 (its archived file above), titled with the script, sent
    to the bank once (so its bank list exists)."""
    from funds import batches
    from funds.models import FundAccount

    batch = batches.batch_create(by=users["s11_clerk"], token=uuid.uuid4(), org_unit=users["s11_clerk"].org_unit,
                                 title=XSS_NAME, relief_type="holiday", grade="", amount="100")
    line = batch.lines.get()
    batches.batch_set_bank_account(batch=batch, by=users["s11_clerk"], line=line, account_name=XSS_NAME,
                                   bank_name=XSS_NAME, account_number="6216610000000001")
    account = FundAccount.objects.filter(org_unit=users["d1_sup"].org_unit).first()
    batches.batch_approve(batch=batch, by=users["d1_sup"], account=account)
    batches.batch_bank_export(batch=batch, by=users["d1_cashier"])
    return {"funds_batch": batch}


def _funds_objects(users, person) -> dict:  # noqa: ANN001
    """帮扶资金: a donation whose donor is the script, received at 越城区 (so the sibling station's
    clerk and the other district see nothing of it), an emergency grant for the person at
    station 330602001 with the script as its reason, and a help-supermarket item named by the
    script at 越城区, received and closed (a day close with the script as the difference's reason)."""
    from funds import services as funds

    source = funds.source_record(by=users["d1_accountant"], org_unit=users["d1_accountant"].org_unit,
                                 kind="donation", donor=XSS_NAME, received_on=timezone.localdate(), amount="5000",
                                 note=XSS_NAME, key=uuid.uuid4().hex)
    account = source.accounts.get()
    grant = funds.grant_apply(by=users["s11_clerk"], token=uuid.uuid4(), org_unit=users["s11_clerk"].org_unit,
                              person=person, relief_type="emergency", amount="100", reason=XSS_NAME)
    from funds import stock

    item = stock.stock_item_add(by=users["d1_cashier"], unit=users["d1_cashier"].org_unit, name=XSS_NAME, spec=XSS_NAME)
    stock.stock_receive(by=users["d1_cashier"], item=item, quantity=3, key=uuid.uuid4().hex, quality_ok=True,
                        received_by=XSS_NAME)
    day = stock.stock_close_day(by=users["d1_cashier"], unit=item.org_unit, day=timezone.localdate(),
                                counted={item.pk: 2}, reasons={item.pk: XSS_NAME})
    return {"funds_source": source, "funds_account": account, "funds_grant": grant,
            "funds_entry": account.entries.get(), "funds_stock_day": day}


def _jobs_objects(clerk, employer, person) -> dict:  # noqa: ANN001
    """就业援助 records at station 330602001 whose names carry the script: a draft posting (a published
    one is seen everywhere) and a cancelled course (likewise), a seeker, a referral, an enrolment."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from jobs import services as jobs
    from jobs.models import Occupation

    today = timezone.localdate()
    recruiter = jobs.recruiter_register(by=clerk, employer=employer, contact_person=XSS_NAME,
                                        contact_phone="13905750001")
    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    for kind in ("licence", "legal_id", "authorisation"):
        jobs.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=kind,
                                 upload=SimpleUploadedFile(f"{kind}.png", png.getvalue(), content_type="image/png"))
    jobs.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=today)
    data = {"title": XSS_NAME, "occupation": Occupation.objects.first(), "openings": 3, "education_min": 0,
            "age_min": None, "age_max": None, "skills": [], "requirements": XSS_NAME, "employment_type": "full",
            "wage_min": Decimal("3000"), "wage_max": Decimal("4000"), "area": clerk.org_unit, "address": XSS_NAME,
            "contact_person": XSS_NAME, "contact_phone": "13905750001", "valid_from": today,
            "valid_to": today + datetime.timedelta(days=30), "for_vulnerable": False}
    open_posting = jobs.posting_create(by=clerk, recruiter=recruiter, publish=True, **data)
    draft = jobs.posting_create(by=clerk, recruiter=recruiter, **data)
    seeker = jobs.seeker_register(by=clerk, person=person, education=3, skills=[], employment_type="any",
                                  diploma=XSS_NAME, availability=XSS_NAME)
    referral = jobs.referral_create(by=clerk, seeker=seeker, posting=open_posting, note=XSS_NAME)
    course = jobs.course_create(by=clerk, name=XSS_NAME, provider=XSS_NAME, starts_on=today, ends_on=today, hours=4,
                                capacity=5, fee=Decimal("100"), discount_percent=Decimal("50"))
    enrolment = jobs.enrolment_create(by=clerk, course=course, person=person)
    jobs.course_cancel(course=course, by=clerk, reason=XSS_NAME)
    fair = jobs.fair_create(by=clerk, name=XSS_NAME, held_on=today, place=XSS_NAME)
    return {"jobs_posting": draft, "jobs_seeker": seeker, "jobs_referral": referral, "jobs_recruiter": recruiter,
            "jobs_course": course, "jobs_enrolment": enrolment, "jobs_fair": fair}


def url_of(name: str, objects: dict) -> str | None:
    rule = rule_for(name)
    if rule.kind == "object" and rule.obj == "notice":
        notice = objects["notice"]
        return reverse(name, kwargs={"pk": notice.petition_id, "notice_pk": notice.pk})
    if rule.kind == "object" and rule.obj == "upload_target":
        return reverse(name, kwargs={"key": "petitions.petition", "pk": objects["petition"].pk})
    if rule.kind == "object" and rule.obj == "submission_file":
        f = objects["submission_file"]
        return reverse(name, kwargs={"pk": f.submission_id, "file_pk": f.pk})
    if rule.kind == "object" and rule.obj in ("home_visit", "evaluation"):
        child = objects[rule.obj]
        kwargs = {"visit_pk" if rule.obj == "home_visit" else "evaluation_pk": child.pk}
        return reverse(name, kwargs={"pk": child.file_id, **kwargs})
    if rule.kind == "object" and rule.obj == "advisor_tie":
        tie = objects["advisor_tie"]
        return reverse(name, kwargs={"pk": tie.advisor_id, "tie_pk": tie.pk})
    if rule.kind == "object" and rule.obj == "referral_source":
        return reverse(name, kwargs={"target": "legalaid.application", "source": "petitions.petition",
                                     "pk": objects["petition"].pk})
    if rule.kind == "object" and rule.obj == "unit_month":
        unit, month = objects["unit_month"]
        return reverse(name, kwargs={"pk": unit.pk, "year": month.year, "month": month.month_number})
    if rule.kind == "object" and rule.obj == "export_job":
        return reverse(name, kwargs={"job_id": objects["export_job"].pk})
    if rule.kind == "object":
        return reverse(name, kwargs={"pk": objects[rule.obj].pk})
    try:
        return reverse(name)
    except Exception:  # noqa: BLE001 — admin URLs with arguments are covered by the admin index checks
        return None


def project_urls(objects: dict, kinds: set[str]) -> list[tuple[str, str, Rule]]:
    out = []
    for name, _ in all_urls():
        rule = rule_for(name)
        if rule.kind in kinds:
            url = url_of(name, objects)
            if url:
                out.append((name, url, rule))
    return out


def test_every_url_has_a_rule():
    missing = [f"{name} ({pattern.pattern})" for name, pattern in all_urls()
               if not name.startswith("admin:") and name not in RULES]
    assert not missing, "URLs without an access rule in tests/test_access_crawl.py: " + ", ".join(missing)
    stale = set(RULES) - {name for name, _ in all_urls()}
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_anonymous_is_sent_to_login_everywhere(objects):
    client = Client()
    for name, url, rule in project_urls(objects, {"account", "page", "object", "admin"}):
        if name in ("admin:login", "admin:logout"):
            continue
        method = client.post if rule.post_only else client.get
        response = method(url)
        location = response.get("Location", "")
        assert response.status_code == 302 and location.startswith(("/accounts/login/", "/admin/login/")), (
            name, response.status_code)


# The only URLs an anonymous caller may use. Adding one is a decision, not a side effect.
PUBLIC_URLS = {"login", "healthz", "readyz"}


def test_anonymous_is_served_on_the_public_urls_and_only_there(objects, settings):
    public = {name for name, rule in RULES.items() if rule.kind == "public"}
    assert public == PUBLIC_URLS
    client = Client()
    for name, url, _ in project_urls(objects, {"public"}):
        response = client.get(url)
        # /readyz may say 503 (no background worker in the test run); never a redirect to the login.
        assert response.status_code in (200, 503), (name, response.status_code)
        body = response.content.decode()
        assert XSS_NAME not in body and objects["person"].id_number_masked not in body, name
        assert objects["person"].name not in body, name


def test_out_of_scope_clerk_gets_404_on_every_object_url(objects, users):
    for username in ("s12_clerk", "s21_clerk", "d2_sup"):
        client = login(users[username])
        for name, url, rule in project_urls(objects, {"object"}):
            assert client.get(url).status_code in (404, 405), (username, name, "GET")
            # A GET-only object URL may refuse the method before looking the object up: 405
            # whether or not it exists, so nothing is confirmed either way.
            expected = (404,) if rule.post_only else (404, 405)
            assert client.post(url, {}).status_code in expected, (username, name, "POST")


def test_read_only_auditor_gets_403_or_405_on_every_post(objects, users):
    client = login(users["auditor"])
    for name, url, rule in project_urls(objects, {"page", "object"}):
        expected = (200, 403, 405) if rule.post_reads else (403, 405)
        assert client.post(url, {"name": "改", "phone": "13800000000"}).status_code in expected, name
    objects["person"].refresh_from_db()
    assert objects["person"].name == XSS_NAME


def test_system_admin_sees_no_person_or_case_data(objects, users):
    client = login(users["sysadmin"])
    for name, url, rule in project_urls(objects, {"page", "object"}):
        if rule.post_only:
            continue
        response = client.get(url)
        if response.status_code == 200:
            body = response.content.decode(errors="replace")
            assert "alert(1)" not in body and objects["person"].id_number_masked not in body, name
        else:
            assert response.status_code in (403, 404), (name, response.status_code)


def test_a_script_name_renders_escaped_everywhere(objects, users):
    for username in ("s11_clerk", "city_sup", "auditor"):
        client = login(users[username])
        for name, url, rule in project_urls(objects, {"page", "object"}):
            if rule.post_only:
                continue
            response = client.get(url, {"q": XSS_NAME})
            if response.get("Content-Type", "").startswith("text/html"):
                assert XSS_NAME not in response.content.decode(), (username, name)


def test_every_post_without_a_csrf_token_is_rejected(objects, users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["city_sup"])
    for name, url, _ in project_urls(objects, {"account", "page", "object"}):
        assert client.post(url, {"name": "改"}).status_code == 403, name
    objects["person"].refresh_from_db()
    assert objects["person"].name == XSS_NAME


def test_admin_site_is_for_the_system_admin_only(users):
    for username in ("auditor", "city_sup", "s11_clerk", "secaudit"):
        response = login(users[username]).get("/admin/servicecenter/orgunit/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), username
    assert login(users["sysadmin"]).get("/admin/servicecenter/orgunit/").status_code == 200


def test_anonymous_may_use_the_public_pages_and_nothing_else(objects):
    """Online self-service is the one place without a login: every open page is under /public/,
    answers an anonymous visitor, and refuses a post without the CSRF token; every other page
    sends them to the login page (the test above); and no view outside /public/ but PUBLIC_URLS (the
    login page, the health endpoints) is marked login_not_required."""
    client = Client(enforce_csrf_checks=True)
    open_urls = project_urls(objects, {"open"})
    assert {name for name, _, _ in open_urls} >= {"petitions_public:submit", "petitions_public:lookup"}
    for name, url, _ in open_urls:
        assert url.startswith("/public/"), name
        response = client.get(url)
        assert response.status_code in (200, 302), (name, response.status_code)
        if response.status_code == 302:  # the "submitted" page, with nothing submitted in this session
            assert response["Location"].startswith("/public/"), name
        assert client.post(url, {}).status_code in (403, 405), name
    for name, pattern in all_urls():
        if name.startswith("admin:"):
            continue
        exempt = getattr(pattern.callback, "login_required", True) is False
        if rule_for(name).kind == "open":
            assert exempt and str(pattern.pattern) is not None, name
        else:
            assert not exempt or name in PUBLIC_URLS, f"{name} needs no login but is not a public page"


def test_a_public_host_serves_the_public_pages_alone(objects, settings):
    """PUBLIC_SITE_ONLY=1 (servicecenter/public_urls.py): the self-service works, staff pages are
    not there at all (404, not a login page)."""
    settings.ROOT_URLCONF = "servicecenter.public_urls"
    client = Client()
    assert client.get("/public/petitions/submit/").status_code == 200
    assert client.get("/healthz").status_code == 200
    for url in ("/accounts/login/", "/", "/petitions/", f"/petitions/{objects['petition'].pk}/", "/admin/"):
        assert client.get(url).status_code == 404, url


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=\"|\sstyle='", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def test_every_page_has_a_strict_csp_no_inline_code_and_no_store(objects, users):
    """Issue 14 §6: a CSP without unsafe-inline on every HTML page, nothing inline the CSP would
    block, and ``Cache-Control: no-store`` on every page and file of the crawl."""
    for username in ("s11_clerk", "city_sup", "secaudit", "sysadmin"):
        client = login(users[username])
        for name, url, rule in project_urls(objects, {"account", "page", "object", "admin"}):
            if rule.post_only:
                continue
            response = client.get(url)
            if name == "logout" or response.status_code in (301, 302, 303, 405):
                continue
            assert "no-store" in response.get("Cache-Control", ""), (username, name, response.status_code)
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            csp = response.get("Content-Security-Policy", "")
            assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp, name
            if name.startswith("admin:"):
                continue  # Django's own admin templates: the CSP still applies, their markup is not ours
            body = response.content.decode(errors="replace")
            assert not INLINE_SCRIPT.search(body), (name, INLINE_SCRIPT.search(body).group(0))
            assert not INLINE_STYLE.search(body), (name, body[max(0, INLINE_STYLE.search(body).start() - 80):][:200])
            assert not INLINE_HANDLER.search(body), (name, INLINE_HANDLER.search(body).group(0)[:200])
    anonymous = Client().get("/accounts/login/")
    assert "unsafe-inline" not in anonymous["Content-Security-Policy"] and anonymous["Cache-Control"] == "no-store"
