"""Staff roles, separation of duties, and the system administrator's site."""

import pytest
from django.core.exceptions import ValidationError

from servicecenter.models import AuditEvent, OrgUnit, StaffRole, User
from servicecenter.orgunits import orgunit_save
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles


@pytest.mark.parametrize("roles", [
    [Role.SYSADMIN, Role.CLERK], [Role.SECAUDIT, Role.AUDITOR], [Role.SYSADMIN, Role.SECAUDIT],
])
def test_conflicting_roles_are_refused_with_a_clear_message(users, roles):
    user = users["s11_clerk"]
    with pytest.raises(ValidationError, match="职责分离"):
        staff_set_roles(user=user, roles=roles)
    assert set(user.role_grants.values_list("role", flat=True)) == {"clerk"}


def test_case_roles_combine_and_changes_are_audited(users):
    user = users["s11_clerk"]
    staff_set_roles(user=user, roles=[Role.CLERK, Role.WORKER], by=users["sysadmin"])
    assert set(StaffRole.objects.filter(user=user).values_list("role", flat=True)) == {"clerk", "worker"}
    event = AuditEvent.objects.filter(event="role").latest("id")
    assert event.username == "sysadmin" and "服务站工作人员" in event.detail


def test_admin_form_refuses_conflicting_roles(client_for, users):
    target = users["s11_clerk"]
    admin = client_for("sysadmin")
    url = f"/admin/servicecenter/user/{target.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200
    response = admin.post(url, {"username": target.username, "full_name": target.full_name, "phone": "",
                                "org_unit": target.org_unit_id, "roles": ["clerk", "sysadmin"], "is_active": "on"})
    assert response.status_code == 200
    assert "职责分离" in response.content.decode()
    assert set(target.role_grants.values_list("role", flat=True)) == {"clerk"}


def test_admin_sets_roles(client_for, users):
    target = users["s11_clerk"]
    response = client_for("sysadmin").post(f"/admin/servicecenter/user/{target.pk}/change/", {
        "username": target.username, "full_name": target.full_name, "phone": "", "org_unit": target.org_unit_id,
        "roles": ["clerk", "worker"], "is_active": "on"})
    assert response.status_code == 302
    assert set(target.role_grants.values_list("role", flat=True)) == {"clerk", "worker"}


@pytest.mark.parametrize("username", ["secaudit", "auditor", "city_sup", "s11_clerk"])
def test_only_the_system_admin_enters_the_admin_site(client_for, username):
    response = client_for(username).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_site_has_no_person_or_case_models(client_for):
    html = client_for("sysadmin").get("/admin/").content.decode()
    assert "组织单位" in html and "工作人员" in html and "业务参数" in html
    assert "/admin/servicecenter/person/" not in html
    assert client_for("sysadmin").get("/admin/servicecenter/person/").status_code == 404


def test_moving_a_unit_rewrites_the_paths_below_it(units):
    district = units["330602"]
    district.parent = units["330600I01"]
    orgunit_save(district)
    station = OrgUnit.objects.get(code="330602001")
    assert station.path == "/330600/330600I01/330602/330602001/"
    assert station.depth == 4
    assert set(district.subtree().values_list("code", flat=True)) == {"330602", "330602001", "330602002"}


def test_a_unit_cannot_move_below_itself(units):
    district = units["330602"]
    district.parent = units["330602001"]
    with pytest.raises(ValidationError):
        orgunit_save(district)


def test_subtree_is_one_query(units, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert len(list(units["330602"].subtree())) == 3


def test_user_roles_property(users):
    assert users["d1_sup"].roles == frozenset({Role.SUPERVISOR})
    assert isinstance(users["d1_sup"], User)
