"""Passwords (issue 14 §5): history, differ from the old one, common patterns, spraying throttled."""

from __future__ import annotations

import pytest
from django.test import Client

from servicecenter.models import AuditEvent, Parameter
from tests.conftest import PASSWORD, login

CHANGE = "/accounts/password/"


def _change(client, old, new):
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def test_the_new_password_must_differ_from_the_current_one(users):
    response = _change(login(users["s11_clerk"]), PASSWORD, PASSWORD)
    assert response.status_code == 200
    assert "新密码不能与当前密码相同" in response.content.decode()


def test_the_last_n_passwords_cannot_come_back(users, units):
    Parameter.objects.create(key="security.password_history", org_unit=units["330600"], value="3")
    client = login(users["s11_clerk"])
    history = ["Hz7#qpLw2026", "Rb9$tnKv2026", "Mc4%wsJx2026"]
    current = PASSWORD
    for new in history:
        assert _change(client, current, new).status_code == 302
        current = new
    # Back to one of the last three: refused, with the message at the field.
    response = _change(client, current, history[0])
    assert response.status_code == 200 and "最近3次使用过的密码" in response.content.decode()
    # Once it is older than the last three, it may be used again.
    assert _change(client, current, "Qd8&yrGu2026").status_code == 302
    assert _change(client, "Qd8&yrGu2026", history[0]).status_code == 302


@pytest.mark.parametrize("common", ["123456Aa", "Qwerty123!", "P@ssw0rd1", "Aa123456!", "Admin@2026"])
def test_common_passwords_are_refused(users, common):
    response = _change(login(users["s11_clerk"]), PASSWORD, common)
    assert response.status_code == 200
    assert "密码过于常见" in response.content.decode() or "太常见" in response.content.decode()


def test_many_usernames_from_one_address_are_throttled(users, settings):
    settings.LOGIN_SPRAY_USERNAMES = 5
    client = Client(REMOTE_ADDR="10.9.8.7")
    for n in range(5):
        client.post("/accounts/login/", {"username": f"nobody{n}", "password": "Wrong#Pass1"})
    # The sixth username, even with the right password, is refused from this address.
    response = client.post("/accounts/login/", {"username": "s11_clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "该地址登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="servicecenter.login.throttled", ip="10.9.8.7").exists()
    # Another address is not affected.
    other = Client(REMOTE_ADDR="10.9.8.8")
    assert other.post("/accounts/login/", {"username": "s11_clerk", "password": PASSWORD}).status_code == 302
