import uuid

from django.utils import timezone

from petitions import services as petition_services
from petitions.models import Category
from tests.conftest import make_person


def test_dashboard_shows_petition_figures_and_escalations_for_case_roles(client_for, users):
    clerk = users["s11_clerk"]
    person = make_person(clerk, name="王群体")
    petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=person, channel="visit",
        received_at=timezone.now(), headcount=12, category=Category.objects.first(), facts="集体讨薪",
        request="支付工资")
    response = client_for("s11_clerk").get("/")
    assert response.context["people_today"] == 1
    assert client_for("s21_clerk").get("/").context["people_today"] == 0
    clerk_page = response.content.decode()
    assert "今日受理" in clerk_page and "今日登记人员" in clerk_page
    supervisor_page = client_for("d1_sup").get("/").content.decode()
    assert "群体性/紧急信访待签收" in supervisor_page
    assert "群体性/紧急信访待签收" not in client_for("d2_sup").get("/").content.decode()


def test_dashboard_for_system_roles_has_no_case_figures(client_for):
    for username in ("sysadmin", "secaudit"):
        page = client_for(username).get("/").content.decode()
        assert "今日受理" not in page and "今日登记人员" not in page
    assert "组织单位" in client_for("sysadmin").get("/").content.decode()
    assert "查询审计日志" in client_for("secaudit").get("/").content.decode()
