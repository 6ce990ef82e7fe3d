"""The audit log page: the security auditor only, searchable, paginated, never a 500 on bad input."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from servicecenter.listing import PAGE_SIZE
from servicecenter.models import AuditEvent

URL = "/audit/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def shown(response) -> list[int]:
    return [e.pk for e in response.context["page"].object_list]


@pytest.fixture
def events(db) -> dict[str, AuditEvent]:
    def make(key: str, **data) -> tuple[str, AuditEvent]:
        data.setdefault("event", AuditEvent.Event.LOGIN)
        return key, AuditEvent.objects.create(**data)

    return dict([
        make("wang_login", at=at(2025, 3, 1, 9, 0), username="s11_clerk", ip="10.0.0.1"),
        make("wang_failed", at=at(2025, 3, 1, 8, 59), username="s11_clerk", ip="10.0.0.1",
             event=AuditEvent.Event.LOGIN_FAILED, outcome=AuditEvent.Outcome.FAILURE),
        make("zhang_reveal", at=at(2025, 3, 1, 23, 30), username="s12_clerk", ip="10.0.0.2",
             event=AuditEvent.Event.REVEAL, target_type="servicecenter.person", target_id="4711",
             target_repr="张三丰"),
        make("zhang_export", at=at(2025, 3, 2, 0, 30), username="s12_clerk", ip="2001:db8::1",
             event=AuditEvent.Event.EXPORT, detail="q=zs"),
        make("early", at=at(2025, 2, 28, 23, 59, 59), username="d1_sup", ip="10.0.0.3"),
    ])


# --- Who may read it ---------------------------------------------------------------------------------


def test_security_auditor_reads_the_log(client_for, events):
    response = client_for("secaudit").get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "审计日志" in page
    assert "张三丰" in page
    assert set(shown(response)) >= {e.pk for e in events.values()}


@pytest.mark.parametrize("username", ["sysadmin", "auditor", "city_sup", "d1_sup", "s11_clerk"])
def test_everyone_else_is_forbidden(client_for, events, username):
    response = client_for(username).get(URL)
    assert response.status_code == 403
    assert "张三丰" not in response.content.decode()


def test_anonymous_is_sent_to_login(client, events):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/audit/"


# --- Search ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("username=s11_clerk", {"wang_login", "wang_failed"}),
    ("username=s12_clerk&event=export", {"zhang_export"}),
    ("event=login_failed", {"wang_failed"}),
    ("outcome=failure", {"wang_failed"}),
    ("ip=10.0.0.2", {"zhang_reveal"}),
    ("ip=2001:db8::1", {"zhang_export"}),
    ("target=张三", {"zhang_reveal"}),
    ("target=4711", {"zhang_reveal"}),
    # Days are local (Asia/Shanghai) days: 23:30 on 1 March is 1 March, 00:30 on 2 March is not,
    # although both are 1 March in UTC.
    ("since=2025-03-01&until=2025-03-01", {"wang_login", "wang_failed", "zhang_reveal"}),
    ("since=2025-03-02&until=2025-03-02", {"zhang_export"}),
    ("until=2025-02-28", {"early"}),
    ("since=2025-03-01&until=2025-03-02&username=s12_clerk", {"zhang_reveal", "zhang_export"}),
    ("since=2025-03-02&until=2025-03-01", set()),
    ("username=nobody", set()),
])
def test_search(client_for, events, query, expected):
    response = client_for("secaudit").get(f"{URL}?{query}")
    assert response.status_code == 200
    assert set(shown(response)) == {events[k].pk for k in expected}


def test_rows_are_newest_first(client_for, events):
    response = client_for("secaudit").get(f"{URL}?since=2025-02-01&until=2025-03-31")
    assert shown(response) == [events[k].pk for k in
                               ["zhang_export", "zhang_reveal", "wang_login", "wang_failed", "early"]]


def test_pagination_keeps_the_search(client_for, db):
    AuditEvent.objects.bulk_create(
        AuditEvent(at=at(2025, 5, 1, 8, 0) + datetime.timedelta(minutes=i), username="bulk",
                   event=AuditEvent.Event.LOGIN) for i in range(PAGE_SIZE + 10)
    )
    client = client_for("secaudit")
    first = client.get(f"{URL}?username=bulk")
    assert len(shown(first)) == PAGE_SIZE
    assert "共 60 条，第 1/2 页" in first.content.decode()
    assert "?username=bulk&amp;page=2" in first.content.decode()
    second = client.get(f"{URL}?username=bulk&page=2")
    assert len(shown(second)) == 10
    assert not set(shown(first)) & set(shown(second))


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "1.5", "99999999999999999999999"])
def test_bad_page_numbers_fall_back(client_for, events, page):
    response = client_for("secaudit").get(f"{URL}?page={page}")
    assert response.status_code == 200
    assert shown(response)


@pytest.mark.parametrize("query", [
    "since=2026-13-45",
    "until=yesterday",
    "since=0001-01-01",
    "until=9999-12-31",
    "ip=abc",
    "ip=10.0.0.999",
    "event=bogus",
    "outcome=maybe",
    "username=s11%00clerk",
    "target=%00",
])
def test_malformed_search_shows_an_error_not_a_500(client_for, events, query):
    response = client_for("secaudit").get(f"{URL}?{query}")
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    assert "查询条件有误" in response.content.decode()
    assert shown(response) == []


def test_bad_date_error_is_shown_at_the_field_in_chinese(client_for, events):
    response = client_for("secaudit").get(f"{URL}?since=2026-13-45&username=s11_clerk")
    page = response.content.decode()
    assert "输入一个有效的日期" in page
    assert 'value="s11_clerk"' in page  # the rest of the search is kept for correcting


# --- Query count ----------------------------------------------------------------------------------------


def test_query_count_is_fixed(client_for, events, django_assert_num_queries):
    client = client_for("secaudit")
    client.get(URL)  # first request stamps the session's last_seen (a session write)
    AuditEvent.objects.bulk_create(AuditEvent(username="bulk", event=AuditEvent.Event.EXPORT)
                                   for _ in range(PAGE_SIZE + 10))
    # More rows than one page, so the pager counts them. Not one query per row:
    # 1. the session row
    # 2. the user
    # 3. the user's roles (access policy; cached on the user for the rest of the request)
    # 4. the page of events
    # 5. COUNT of the matching events, for the pager (on PostgreSQL an EXPLAIN first: the planner's
    #    estimate decides whether counting is cheap)
    # 6. the user's org unit, for the page header
    with django_assert_num_queries(7 if connection.vendor == "postgresql" else 6):
        response = client.get(f"{URL}?since=2000-01-01&event=export")
    assert len(shown(response)) == PAGE_SIZE
