"""What the app gives the shared pages: the person page, the dashboard, the inbox, the monthly
figures (additive and distinct marked), the demo data, and the query for the funds app."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from hardship import codes, demo, services
from hardship.models import HardshipFile, Objection
from hardship.summary import FIGURES, monthly_figures
from servicecenter import registry
from servicecenter.inbox import inbox_for
from tests.conftest import make_person, new_id_number

from .conftest import member

S = HardshipFile.Status


def test_the_person_page_shows_the_file_and_its_status(kit, client_for):
    f = kit.make(S.ARCHIVED)
    page = client_for("s11_worker").get(f"/people/{f.applicant_id}/").content.decode()
    assert "困难职工档案" in page and f.number in page and "在档" in page and "申请人" in page
    # A household member's person page shows the file as 家庭成员.
    spouse = make_person(kit.worker, name="王丽", id_number=new_id_number(male=False))
    p = kit.person(id_number=new_id_number())
    g = kit.apply(p, members=[member("self", p.name, "900", id_number=p.id_number),
                              member("spouse", "王丽", id_number=spouse.id_number)])
    page = client_for("s11_worker").get(f"/people/{spouse.pk}/").content.decode()
    assert f"/hardship/{g.pk}/" in page and "家庭成员" in page and "待审核" in page


def test_the_dashboard_counts_what_waits(kit, client_for):
    kit.make(S.APPLIED)
    kit.make(S.APPLIED)
    f = kit.make(S.ARCHIVED)
    services.file_report_change(file=f, by=kit.worker, note="变化")
    page = client_for("s11_worker").get("/").content.decode()
    assert 'data-testid="hardship-to-review">2<' in page and 'data-testid="hardship-due">1<' in page


def test_the_inbox_lists_applications_notices_over_and_reviews_due(kit, users):
    a = kit.make(S.APPLIED)
    n = kit.make(S.NOTICE)
    r = kit.make(S.ARCHIVED)
    services.file_report_change(file=r, by=kit.worker, note="变化")
    kinds = {(i.kind, i.url) for i in inbox_for(kit.worker)}
    assert ("困难职工申请待审核", a.get_absolute_url()) in kinds
    assert ("公示期满待报送审批", n.get_absolute_url()) in kinds
    assert ("在档困难职工待复核", r.get_absolute_url()) in kinds
    city = [i for i in inbox_for(users["city_sup"]) if i.kind == "区县审批档案待确认备案"]
    assert len(city) == 1 and city[0].title == "越城区职工服务中心 1份"
    assert not [i for i in inbox_for(users["s12_clerk"]) if i.app == "困难职工档案"]


def test_the_figures_are_declared_with_how_they_roll_up():
    kinds = {f.code: f.kind for f in FIGURES}
    assert kinds["applications"] == kinds["approved_hardship"] == kinds["exited"] == "additive"
    assert kinds["active_hardship"] == kinds["active_extreme"] == "distinct"
    app = registry.service_app("hardship")
    assert app.figures == FIGURES and app.compute_figures is monthly_figures


def test_monthly_figures(kit, freeze, units):
    freeze(datetime.date(2026, 3, 2))
    a, b, c = kit.make(S.ARCHIVED), kit.make(S.ARCHIVED), kit.make(S.SUBMITTED)
    kit.make(S.APPLIED)
    services.file_send_back(file=c, by=kit.sup, reason="补充材料")
    freeze(datetime.date(2026, 4, 15))
    services.file_recheck(file=b, by=kit.worker, grade=codes.Grade.EXTREME, opinion="加重", override_reason="病重")
    services.file_exit(file=a, by=kit.worker, reason=codes.ExitReason.REEMPLOYED, note="再就业")
    district = units["330602"]
    march = monthly_figures(district, datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert march == {"applications": 4, "approved_hardship": 2, "approved_extreme": 0, "returned": 1, "rejected": 0,
                     "exited": 0, "closed": 0, "active_hardship": 2, "active_extreme": 0}
    april = monthly_figures(district, datetime.date(2026, 4, 1), datetime.date(2026, 4, 30))
    assert april["exited"] == 1 and april["applications"] == 0
    # At the end of April: a has left, b is 特困 since its review.
    assert (april["active_hardship"], april["active_extreme"]) == (0, 1)
    # March still counts b as 困难 (its grade then), and the other district has nothing.
    assert monthly_figures(units["330604"], datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))["applications"] == 0
    city = monthly_figures(units["330600"], datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert city["active_hardship"] == 2


def test_the_demo_has_files_in_every_state_and_is_idempotent(db, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    by_state = dict(HardshipFile.objects.values_list("status").annotate(n=Count("pk")))
    assert set(by_state) == set(HardshipFile.Status.values)
    assert 55 <= sum(by_state.values()) <= 65
    assert Objection.objects.filter(resolved_on__isnull=True).count() == 1
    today = timezone.localdate()
    assert HardshipFile.objects.filter(status=S.ARCHIVED, recheck_due__lte=today).count() >= 3
    assert HardshipFile.objects.filter(status=S.NOTICE, notice_due_date__gte=today).exists()
    assert len({f.org_unit_id for f in HardshipFile.objects.all()}) == len(demo.STATIONS)
    before = (HardshipFile.objects.count(), Objection.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (HardshipFile.objects.count(), Objection.objects.count()) == before


def test_bulk_files_for_the_benchmarks(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--scale", "300", stdout=io.StringIO())
    call_command("seed_demo", "--count", "hardship=260", stdout=io.StringIO())
    assert HardshipFile.objects.count() == 260
    numbers = list(HardshipFile.objects.exclude(number=None).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    call_command("seed_demo", "--count", "hardship=260", stdout=io.StringIO())
    assert HardshipFile.objects.count() == 260


def test_an_archived_file_makes_its_applicant_a_hardship_worker_while_it_is_in_force(kit, freeze):
    from servicecenter.qualifications import HARDSHIP_WORKER, qualifies_as

    freeze(datetime.date(2026, 3, 2))
    f = kit.make(S.ARCHIVED)
    applied = kit.make(S.SUBMITTED)
    assert qualifies_as(applied.applicant, HARDSHIP_WORKER, datetime.date(2026, 3, 2)) is None  # not yet approved
    found = qualifies_as(f.applicant, HARDSHIP_WORKER, datetime.date(2026, 3, 2))
    assert found.label == "困难职工" and found.basis == f"困难职工档案 {f.number}" and found.until is None
    assert qualifies_as(f.applicant, HARDSHIP_WORKER, datetime.date(2026, 3, 1)) is None  # before the approval
    freeze(datetime.date(2026, 6, 1))
    services.file_exit(file=f, by=kit.worker, reason=codes.ExitReason.REEMPLOYED, note="再就业")
    assert qualifies_as(f.applicant, HARDSHIP_WORKER, datetime.date(2026, 5, 31)).until == datetime.date(2026, 5, 31)
    assert qualifies_as(f.applicant, HARDSHIP_WORKER, datetime.date(2026, 6, 1)) is None


def test_the_batched_figure_table_agrees_with_the_per_unit_figures(kit, freeze, units, django_assert_num_queries):
    from servicecenter.figures import Period, UnitTree

    freeze(datetime.date(2026, 3, 2))
    a, b, c = kit.make(S.ARCHIVED), kit.make(S.ARCHIVED), kit.make(S.SUBMITTED)
    kit.make(S.APPLIED)
    services.file_send_back(file=c, by=kit.sup, reason="补充材料")
    freeze(datetime.date(2026, 4, 15))
    services.file_recheck(file=b, by=kit.worker, grade=codes.Grade.EXTREME, opinion="加重", override_reason="病重")
    services.file_exit(file=a, by=kit.worker, reason=codes.ExitReason.REEMPLOYED, note="再就业")
    from hardship.summary import figure_table

    tree = UnitTree(units["330600"])
    periods = [Period.month(2026, 3), Period.month(2026, 4), Period.quarter(2026, 1), Period.quarter(2026, 2)]
    # applications (one pass: no date of two periods overlaps … the quarters are a second pass) ×2,
    # the events ×2, the stock once: five queries for every unit and period.
    with django_assert_num_queries(5):
        table = figure_table(tree, tree.units(), periods)
    for unit in tree.units():
        for i, period in enumerate(periods):
            assert table[(unit.pk, i)] == monthly_figures(unit, period.first, period.last), (unit.code, period.key)
    station = units["330602001"].pk
    assert table[(station, 1)]["active_extreme"] == 1 and table[(station, 1)]["active_hardship"] == 0
    assert table[(station, 0)]["active_hardship"] == 2
