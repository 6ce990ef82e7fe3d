"""Login security: password rules, forced password change, lockout per username, idle timeout, logout.

Lockout goes through the real login view (django-axes needs the request in ``authenticate``); axes
keeps its attempts in the database, so each test starts with none.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from servicecenter.models import AuditEvent, User
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
LOGOUT = "/accounts/logout/"
PASSWORD_CHANGE = "/accounts/password/"
GOOD_PASSWORD = "Qiantang#River7"


def _change(client: Client, new: str, *, old: str = PASSWORD, confirm: str | None = None):
    return client.post(PASSWORD_CHANGE, {"old_password": old, "new_password1": new,
                                         "new_password2": new if confirm is None else confirm})


def _logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- Password rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "message"), [
    ("Ab1#xyz", "至少需要 8 个字符"),                     # seven characters
    ("qiantangriver7", "至少3类"),                       # lower case and digits only: two classes
    ("QIANTANG#RIVER", "至少3类"),                       # upper case and a symbol: two classes
    ("My-s11_clerk-2026", "密码不能包含用户名"),          # contains the username
    ("X1!krelc_11s", "密码不能包含用户名"),               # contains the username backwards
])
def test_weak_password_is_refused_at_the_field(client_for, users, password, message):
    client = client_for("s11_clerk")
    before = User.objects.get(username="s11_clerk").password

    response = _change(client, password)

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get("new_password2", []))
    assert message in errors
    assert '<p class="field-error" role="alert">' in response.content.decode()
    assert User.objects.get(username="s11_clerk").password == before
    assert not AuditEvent.objects.filter(event="password").exists()


def test_wrong_old_password_is_refused(client_for, users):
    client = client_for("s11_clerk")
    response = _change(client, GOOD_PASSWORD, old="not-the-password")
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert User.objects.get(username="s11_clerk").check_password(PASSWORD)


def test_good_password_is_accepted_and_audited(client_for, users):
    client = client_for("s11_clerk")
    before = timezone.now()

    response = _change(client, GOOD_PASSWORD)

    assert response.status_code == 302
    user = User.objects.get(username="s11_clerk")
    assert user.check_password(GOOD_PASSWORD)
    assert user.password_changed_at >= before
    event = AuditEvent.objects.get(event="password")
    assert (event.username, event.user_id, event.outcome) == ("s11_clerk", user.pk, "success")
    # The session survives the change (Django updates the session hash), and the new password works.
    assert client.get("/").status_code == 200
    fresh = Client()
    assert fresh.post(LOGIN, {"username": "s11_clerk", "password": GOOD_PASSWORD}).status_code == 302
    assert _logged_in(fresh)


def test_password_change_page_shows_the_rules(client_for, users):
    response = client_for("s11_clerk").get(PASSWORD_CHANGE)
    assert response.status_code == 200
    assert "至少3类" in response.content.decode()


# --- Forced change of an old password ----------------------------------------------------------------


@pytest.fixture
def expired_clerk(users) -> User:
    old = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    User.objects.filter(username="s11_clerk").update(password_changed_at=old)
    return users["s11_clerk"]


@pytest.mark.parametrize("path", ["/", "/people/", "/reports/", "/audit/"])
def test_expired_password_sends_every_page_to_the_change_page(client_for, expired_clerk, path):
    response = client_for("s11_clerk").get(path)
    assert response.status_code == 302
    assert response["Location"] == PASSWORD_CHANGE


def test_expired_password_message_is_shown_on_the_change_page(client_for, expired_clerk):
    response = client_for("s11_clerk").get("/people/", follow=True)
    assert response.redirect_chain == [(PASSWORD_CHANGE, 302)]
    assert f"密码已超过{settings.PASSWORD_MAX_AGE_DAYS}天未修改" in response.content.decode()


def test_expired_password_user_can_still_log_out(client_for, expired_clerk):
    client = client_for("s11_clerk")
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert not _logged_in(client)


def test_after_changing_an_expired_password_the_user_gets_through(client_for, expired_clerk):
    client = client_for("s11_clerk")
    assert client.get(PASSWORD_CHANGE).status_code == 200
    assert _change(client, GOOD_PASSWORD).status_code == 302
    assert client.get("/people/").status_code == 200


def test_password_just_inside_the_limit_is_not_expired(client_for, users):
    recent = timezone.now() - timedelta(days=settings.PASSWORD_MAX_AGE_DAYS - 1)
    User.objects.filter(username="s11_clerk").update(password_changed_at=recent)
    assert client_for("s11_clerk").get("/people/").status_code == 200


def test_never_set_password_date_counts_as_expired(client_for, users):
    User.objects.filter(username="s11_clerk").update(password_changed_at=None)
    assert client_for("s11_clerk").get("/")["Location"] == PASSWORD_CHANGE


# --- Login, failures and lockout per username ----------------------------------------------------------


def test_login_and_failure_are_audited(client, users):
    response = client.post(LOGIN, {"username": "s11_clerk", "password": "wrong"}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    failed = AuditEvent.objects.get(event="login_failed")
    assert (failed.username, failed.outcome, failed.ip, failed.user_id) == (
        "s11_clerk", "failure", "10.1.1.1", None)

    response = client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD}, REMOTE_ADDR="10.1.1.2")
    assert response.status_code == 302
    ok = AuditEvent.objects.get(event="login")
    assert (ok.username, ok.outcome, ok.ip, ok.user_id) == ("s11_clerk", "success", "10.1.1.2",
                                                            users["s11_clerk"].pk)


def test_failure_for_an_unknown_username_is_audited_with_that_name(client, users):
    client.post(LOGIN, {"username": "nobody", "password": "wrong"})
    assert AuditEvent.objects.filter(event="login_failed", username="nobody", outcome="failure").count() == 1


def test_lockout_counts_failures_per_username_across_addresses(client, users):
    assert not AccessAttempt.objects.exists()  # axes' counters do not leak between tests
    limit = settings.AXES_FAILURE_LIMIT
    for i in range(limit - 1):
        response = client.post(LOGIN, {"username": "s11_clerk", "password": f"wrong{i}"},
                               REMOTE_ADDR=f"10.0.0.{i + 1}")
        assert response.status_code == 200, i
    # The limit-th failure, from yet another address, locks the account.
    response = client.post(LOGIN, {"username": "s11_clerk", "password": "wrong"}, REMOTE_ADDR="10.0.0.200")
    assert response.status_code == 429

    # The correct password from a fresh address is now refused with the Chinese lockout page.
    attacker_free = Client()
    response = attacker_free.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD},
                                  REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    page = response.content.decode()
    assert "账号已临时锁定" in page
    assert f"{settings.AXES_COOLOFF_TIME.total_seconds() / 60:.0f} 分钟" in page
    assert "PT" not in page  # no raw ISO 8601 duration
    assert not _logged_in(attacker_free)

    # Another account from an address that failed is not affected (lockout is per username).
    colleague = Client()
    response = colleague.post(LOGIN, {"username": "s12_clerk", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    assert _logged_in(colleague)

    failed = AuditEvent.objects.filter(event="login_failed", username="s11_clerk")
    assert failed.count() == limit + 1
    assert set(failed.values_list("outcome", flat=True)) == {"failure"}
    # Only the correct password refused because of the lock is marked as such.
    assert list(failed.filter(detail__contains="锁定").values_list("ip", flat=True)) == ["10.9.9.9"]
    assert not AuditEvent.objects.filter(event="login", username="s11_clerk").exists()
    assert AuditEvent.objects.filter(event="login", username="s12_clerk").count() == 1


def test_lockout_of_one_username_does_not_block_its_address(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        client.post(LOGIN, {"username": "s11_clerk", "password": "wrong"}, REMOTE_ADDR="10.0.0.50")
    assert client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD},
                       REMOTE_ADDR="10.0.0.50").status_code == 429
    colleague = Client()
    response = colleague.post(LOGIN, {"username": "s12_clerk", "password": PASSWORD}, REMOTE_ADDR="10.0.0.50")
    assert response.status_code == 302
    assert _logged_in(colleague)


def test_success_resets_the_failure_count(client, users):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        client.post(LOGIN, {"username": "s11_clerk", "password": "wrong"})
    assert client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD}).status_code == 302
    client.post(LOGOUT)
    for _ in range(limit - 1):
        assert client.post(LOGIN, {"username": "s11_clerk", "password": "wrong"}).status_code == 200
    assert client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("data", [
    {},
    {"username": "s11_clerk"},
    {"password": PASSWORD},
    {"username": "", "password": ""},
    {"username": "x" * 500, "password": "y"},
    {"username": "s11\x00clerk", "password": "y"},
    {"username": ["a", "b"], "password": "y"},
])
def test_malformed_login_posts_show_the_form(client, users, data):
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert not _logged_in(client)


def test_over_long_username_fails_at_the_field_without_an_attempt(client, users):
    # Over 150 characters: refused by the form, so neither axes (varchar 255) nor the audit log
    # ever sees it; on PostgreSQL it used to be a 500.
    response = client.post(LOGIN, {"username": "x" * 300, "password": "y"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not AccessAttempt.objects.exists()
    assert not AuditEvent.objects.filter(event="login_failed").exists()


def test_login_page_is_chinese(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "用户名" in response.content.decode()


def test_expired_password_user_lands_on_the_change_page_after_login(client, expired_clerk):
    response = client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1] == (PASSWORD_CHANGE, 302)
    assert response.status_code == 200


@pytest.mark.parametrize("next_url", ["/accounts/login/", "/accounts/login/?next=/", "/accounts/logout/"])
def test_next_pointing_at_login_or_logout_is_ignored(client, users, next_url):
    response = client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD, "next": next_url})
    assert response["Location"] == "/"
    # Already logged in: Django would raise "redirection loop" (a 500) for next=/accounts/login/.
    response = client.get(LOGIN, {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_idle_session_on_the_login_page_is_not_sent_back_to_it(client_for, users):
    client = client_for("s11_clerk")
    _set_last_seen(client, settings.IDLE_TIMEOUT_SECONDS + 5)
    response = client.get(LOGIN)
    assert response["Location"] == LOGIN
    assert client.get(LOGIN).status_code == 200


def test_login_does_not_redirect_off_site(client, users):
    response = client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD,
                                   "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- Idle timeout -----------------------------------------------------------------------------------------


def _set_last_seen(client: Client, seconds_ago: int) -> None:
    session = client.session
    session["last_seen"] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_is_logged_out_with_a_message(client_for, users):
    client = client_for("s11_clerk")
    assert client.get("/people/").status_code == 200
    _set_last_seen(client, settings.IDLE_TIMEOUT_SECONDS + 5)

    response = client.get("/people/?q=zs")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/people/%3Fq%3Dzs"
    assert not _logged_in(client)
    page = client.get(response["Location"])
    assert "长时间未操作，已自动退出" in page.content.decode()
    # The session is gone: the next page asks for a login again.
    assert client.get("/people/")["Location"].startswith(LOGIN)
    logout_event = AuditEvent.objects.get(event="logout", username="s11_clerk")
    assert logout_event.detail == "空闲超时自动退出"


def test_active_session_stays_and_is_refreshed(client_for, users):
    client = client_for("s11_clerk")
    _set_last_seen(client, settings.IDLE_TIMEOUT_SECONDS - 5)
    assert client.get("/people/").status_code == 200
    assert _logged_in(client)
    assert int(time.time()) - client.session["last_seen"] < 5
    # Refreshed: the same idle period again is still within the limit.
    assert client.get("/").status_code == 200


def test_idle_timeout_applies_to_posts_too(client_for, station_person):
    client = client_for("s11_clerk")
    _set_last_seen(client, settings.IDLE_TIMEOUT_SECONDS + 5)
    response = client.post(f"/people/{station_person.pk}/reveal/")
    assert response.status_code == 302
    # No ?next= back to a POST-only address, which would answer the GET after login with 405.
    assert response["Location"] == LOGIN
    assert not AuditEvent.objects.filter(event="reveal").exists()


def test_garbage_last_seen_does_not_crash(client_for, users):
    client = client_for("s11_clerk")
    session = client.session
    session["last_seen"] = "yesterday"
    session.save()
    response = client.get("/people/")
    assert response.status_code in (200, 302)


# --- Logout ---------------------------------------------------------------------------------------------


def test_logout_ends_the_session_and_the_old_cookie_is_useless(client, users):
    client.post(LOGIN, {"username": "s11_clerk", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/people/").status_code == 200

    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert AuditEvent.objects.filter(event="logout", username="s11_clerk").count() == 1

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = replay.get("/people/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_get_on_logout_does_not_log_out(client_for, users):
    client = client_for("s11_clerk")
    assert client.get(LOGOUT).status_code == 405
    assert _logged_in(client)
    assert client.get("/people/").status_code == 200
    assert not AuditEvent.objects.filter(event="logout").exists()
