"""Account administration under audit and four-eyes (issue 14 §1)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from servicecenter import staff
from servicecenter.models import AccountChange, AuditEvent, User
from servicecenter.roles import Role
from tests.conftest import PASSWORD, login

NEW_PASSWORD = "Xk7#mPq2vLw9"


@pytest.fixture
def admin2(users, units):
    user = User(username="sysadmin2", full_name="第二系统管理员", org_unit=units["330600"])
    user.set_password(PASSWORD)
    user.save()
    staff.staff_set_roles(user=user, roles=[Role.SYSADMIN])
    return User.objects.get(pk=user.pk)


def _set_password(client, user, password=NEW_PASSWORD):
    return client.post(f"/admin/servicecenter/user/{user.pk}/password/",
                       {"password1": password, "password2": password, "set_usable_password": "true"})


def _change(client, user, **data):
    roles = data.pop("roles", [g.role for g in user.role_grants.all()])
    form = {"username": user.username, "full_name": user.full_name, "phone": user.phone,
            "org_unit": user.org_unit_id or "", "is_active": "on" if user.is_active else "", "roles": roles,
            **data}
    if not form["is_active"]:
        form.pop("is_active")
    return client.post(f"/admin/servicecenter/user/{user.pk}/change/", form)


def test_a_password_set_by_the_admin_must_be_changed_at_next_login_and_is_audited(users):
    clerk = users["s11_clerk"]
    response = _set_password(login(users["sysadmin"]), clerk)
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(NEW_PASSWORD)
    assert clerk.password_changed_at is None
    row = AuditEvent.objects.get(action="servicecenter.user.password")
    assert row.username == "sysadmin" and row.target_id == str(clerk.pk) and row.new_values == {"forced_change": True}
    # The victim-to-be logs in: every page sends them to change the password first.
    client = Client()
    client.post("/accounts/login/", {"username": "s11_clerk", "password": NEW_PASSWORD})
    page = client.get("/people/")
    assert page.status_code == 302 and page["Location"] == "/accounts/password/"


def test_the_admin_cannot_take_over_the_security_auditors_account(users):
    secaudit = users["secaudit"]
    _set_password(login(users["sysadmin"]), secaudit)
    secaudit.refresh_from_db()
    assert secaudit.check_password(PASSWORD)  # nothing changed yet
    change = AccountChange.objects.get(user=secaudit, status=AccountChange.Status.PENDING)
    assert AuditEvent.objects.filter(action="servicecenter.user.change_requested", target_id=str(secaudit.pk)).exists()
    # The admin cannot confirm his own request; another admin cannot either: the auditor must.
    with pytest.raises(PermissionDenied):
        staff.account_change_decide(change=change, by=users["sysadmin"], approve=True)
    # Shown on both sides.
    assert "设置密码" in login(users["sysadmin"]).get("/accounts/changes/").content.decode()
    page = login(secaudit).get("/accounts/changes/").content.decode()
    assert "设置密码" in page and 'value="approve"' in page
    response = login(secaudit).post("/accounts/changes/", {"change": change.pk, "decision": "reject",
                                                           "note": "不是我申请的"})
    assert response.status_code == 302
    secaudit.refresh_from_db()
    assert secaudit.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="servicecenter.user.change_rejected").exists()


def test_an_admin_cannot_change_his_own_roles_alone(users, admin2):
    me = users["sysadmin"]
    _change(login(me), me, roles=[Role.SYSADMIN.value, Role.SECAUDIT.value])  # refused: separation of duties
    assert me.roles == {Role.SYSADMIN}
    response = _change(login(me), me, roles=[], org_unit=me.org_unit_id)
    assert response.status_code == 302
    assert User.objects.get(pk=me.pk).roles == {Role.SYSADMIN}  # waits
    change = AccountChange.objects.get(user=me)
    with pytest.raises(PermissionDenied):
        staff.account_change_decide(change=change, by=me, approve=True)
    staff.account_change_decide(change=change, by=admin2, approve=True)
    assert User.objects.get(pk=me.pk).roles == frozenset()
    row = AuditEvent.objects.filter(action="servicecenter.user.roles", target_id=str(me.pk)).order_by("-id").first()
    assert row.username == "sysadmin"  # the requester, confirmed by the second admin
    assert row.old_values == {"roles": ["sysadmin"]} and row.new_values == {"roles": []}


def test_create_unit_move_and_deactivation_are_audited_with_old_and_new_values(users, units):
    client = login(users["sysadmin"])
    response = client.post("/admin/servicecenter/user/add/", {
        "username": "newclerk", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "full_name": "新接待员",
        "org_unit": units["330602001"].pk, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="newclerk")
    assert created.password_changed_at is None  # first login: change the password
    assert AuditEvent.objects.filter(action="servicecenter.user.create", target_id=str(created.pk)).exists()
    clerk = users["s11_clerk"]
    _change(client, clerk, org_unit=units["330604001"].pk)
    row = AuditEvent.objects.get(action="servicecenter.user.unit")
    assert row.old_values == {"org_unit": units["330602001"].name}
    assert row.new_values == {"org_unit": units["330604001"].name}
    clerk.refresh_from_db()
    assert clerk.org_unit == units["330604001"]
    _change(client, clerk, is_active="")
    row = AuditEvent.objects.get(action="servicecenter.user.active")
    assert row.old_values == {"is_active": True} and row.new_values == {"is_active": False}
    assert not User.objects.get(pk=clerk.pk).is_active
    # The security auditor sees them next to the rest.
    page = login(users["secaudit"]).get("/audit/?event=account").content.decode()
    assert "servicecenter.user.unit" in page and "servicecenter.user.create" in page


def test_an_admin_cannot_set_his_own_password_in_the_admin(users):
    me = users["sysadmin"]
    response = _set_password(login(me), me)
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    me.refresh_from_db()
    assert me.check_password(PASSWORD)


def test_unlock_is_audited(users):
    client = login(users["sysadmin"])
    response = client.post("/admin/servicecenter/user/", {"action": "unlock", "_selected_action": [users["s11_clerk"].pk]})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="servicecenter.user.unlock", target_id=str(users["s11_clerk"].pk)).exists()


def test_only_admins_and_the_security_auditor_reach_the_confirmation_page(users):
    assert login(users["s11_clerk"]).get("/accounts/changes/").status_code == 403
    assert login(users["sysadmin"]).get("/accounts/changes/").status_code == 200
