"""Paging shared by the list pages (servicecenter/listing.py): keyset links that keep the filters,
malformed cursors, exact and estimated counts, and a number of queries that does not grow."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from servicecenter import listing
from servicecenter.listing import list_page, paginate
from servicecenter.models import Employer, Person
from servicecenter.people import identity_fields, name_initials
from tests.conftest import make_employer, new_id_number

NAMES = ["张三", "赵四", "周五", "李伟", "王芳", "张伟", "钱敏", "孙丽", "周敏", "吴强"]


def bulk_people(unit, count, *, start=0):
    rows = []
    for i in range(start, start + count):
        name = NAMES[i % len(NAMES)] + "甲乙丙丁戊"[i % 5]
        rows.append(Person(name=name, name_initials=name_initials(name), org_unit=unit, phone=f"138{i:08d}",
                           **identity_fields(new_id_number(male=i % 2 == 0))))
    Person.objects.bulk_create(rows)


@pytest.fixture
def crowd(users):
    bulk_people(users["s11_clerk"].org_unit, 130)
    bulk_people(users["s12_clerk"].org_unit, 20, start=130)  # outside s11's scope


def shown(response):
    return [p.pk for p in response.context["page"].object_list]


LINK_TEXT = {"next": "下一页", "prev": "上一页", "first": "首页", "last": "末页"}


def link(response, rel):
    """The href of a pager link as the browser would follow it, or None when the page has none."""
    pattern = '<a href="([^"]*)"(?: rel="[a-z]+")?>' + LINK_TEXT[rel] + "</a>"
    match = re.search(pattern, response.content.decode())
    return html.unescape(match.group(1)) if match else None


def walk(client, url, params):
    """Follow 下一页 from the first page to the end; the ids in order, and every page's response."""
    response = client.get(url, params)
    pages = [response]
    ids = shown(response)
    while (nxt := link(response, "next")) is not None:
        response = client.get(url + nxt)
        pages.append(response)
        ids += shown(response)
    return ids, pages


# --- keyset pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "order"), [
    ({}, ["-id"]),
    ({"ordering": "name"}, ["name_initials", "id"]),
    ({"ordering": "-name"}, ["-name_initials", "-id"]),
    ({"ordering": "birth_date"}, ["birth_date", "id"]),
    ({"ordering": "-birth_date", "sex": "M"}, ["-birth_date", "-id"]),
    ({"q": "zw", "ordering": "id"}, ["id"]),
])
def test_next_links_walk_the_whole_filtered_list_in_order(client_for, users, crowd, params, order):
    clerk = client_for("s11_clerk")
    expected_qs = Person.objects.filter(org_unit=users["s11_clerk"].org_unit)
    if "sex" in params:
        expected_qs = expected_qs.filter(sex=params["sex"])
    if "q" in params:
        expected_qs = expected_qs.filter(name_initials__startswith=params["q"])
    expected = list(expected_qs.order_by(*order).values_list("pk", flat=True))
    assert len(expected) > 0
    ids, pages = walk(clerk, "/people/", params)
    assert ids == expected
    for n, response in enumerate(pages, start=1):
        page = response.context["page"]
        assert page.number == n
        for rel in ("next", "prev", "first", "last"):
            href = link(response, rel)
            for key, value in params.items():
                assert href is None or f"{key}={value}" in href, (rel, href)


def test_previous_links_come_back_the_same_way(client_for, crowd):
    clerk = client_for("s11_clerk")
    params = {"ordering": "name"}
    ids, pages = walk(clerk, "/people/", params)
    assert len(pages) == 3
    response = pages[-1]
    back = [shown(response)]
    while (prev := link(response, "prev")) is not None:
        response = clerk.get("/people/" + prev)
        back.insert(0, shown(response))
        assert "ordering=name" in prev
    assert [pk for chunk in back for pk in chunk] == ids
    assert response.context["page"].number == 1 and not response.context["page"].has_previous


def test_last_page_is_aligned_when_the_count_is_exact(client_for, crowd):
    clerk = client_for("s11_clerk")
    first = clerk.get("/people/")
    assert first.context["page"].count_display == "共 130 条"
    last = clerk.get("/people/" + link(first, "last"))
    page = last.context["page"]
    assert (page.number, len(page.items), page.has_next) == (3, 30, False)
    assert "第 3/3 页" in last.content.decode()
    before = clerk.get("/people/" + link(last, "prev"))
    assert before.context["page"].number == 2 and len(shown(before)) == 50
    assert set(shown(before)).isdisjoint(shown(last))


def test_a_typed_page_number_still_works(client_for, crowd):
    clerk = client_for("s11_clerk")
    ids, _ = walk(clerk, "/people/", {})
    second = clerk.get("/people/", {"page": "2"})
    assert shown(second) == ids[50:100]
    assert second.context["page"].number == 2
    third = clerk.get("/people/" + link(second, "next"))
    assert shown(third) == ids[100:]


@pytest.mark.parametrize("cursor", [
    "abc", "!!!", "", "W10", "eyJ4IjoxfQ",  # not base64 / [] / {"x":1}
    base64.urlsafe_b64encode(json.dumps(["n", 0, [1]]).encode()).decode(),  # another ordering's cursor
    base64.urlsafe_b64encode(json.dumps(["x", 0, None]).encode()).decode(),
    "A" * 5000,
])
def test_a_malformed_cursor_falls_back_to_page_one(client_for, crowd, cursor):
    clerk = client_for("s11_clerk")
    first = clerk.get("/people/")
    response = clerk.get("/people/", {"cursor": cursor, "q": "", "page": "7"})
    assert response.status_code == 200
    assert shown(response) == shown(first)
    assert response.context["page"].number == 1


def forged(keys_params, values, direction="n"):
    """A cursor with the right fingerprint for the default ordering but chosen values."""
    keys = listing._keyset(Person, keys_params)
    return listing._encode_cursor(direction, keys, values)


@pytest.mark.parametrize("values", [["not a number"], [None], [{"a": 1}], [10**30], [[1, 2]], [1, 2]])
def test_a_cursor_with_values_of_the_wrong_type_falls_back_to_page_one(client_for, crowd, values):
    keys = listing._keyset(Person, ["-id"])
    raw = json.dumps(["n", listing._fingerprint(keys), values]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client_for("s11_clerk").get("/people/", {"cursor": cursor})
    assert response.status_code == 200 and response.context["page"].number == 1
    assert len(shown(response)) == 50


def test_a_cursor_past_the_end_starts_again(client_for, crowd):
    response = client_for("s11_clerk").get("/people/", {"cursor": forged(["-id"], [0])})
    assert response.context["page"].number == 1 and len(shown(response)) == 50


def test_a_cursor_never_widens_the_scope(client_for, users, crowd):
    outsider_ids = set(Person.objects.exclude(org_unit=users["s11_clerk"].org_unit).values_list("pk", flat=True))
    top = max(outsider_ids) + 1
    ids, _ = walk(client_for("s11_clerk"), "/people/", {"cursor": forged(["-id"], [top])})
    assert ids and outsider_ids.isdisjoint(ids)


def test_export_link_keeps_the_filters_but_not_the_cursor(client_for, crowd):
    clerk = client_for("s11_clerk")
    first = clerk.get("/people/", {"q": "zw", "ordering": "name"})
    nxt = link(first, "next")
    second = clerk.get("/people/" + nxt) if nxt else first
    assert second.context["query"] == "q=zw&ordering=name"
    assert "cursor" not in second.context["page"].query


# --- counts ---------------------------------------------------------------------------------------------


def request_for(user, **params):
    request = RequestFactory().get("/people/", params)
    request.user = user
    return request


def test_a_first_page_that_is_not_full_is_its_own_count(users, crowd, django_assert_num_queries):
    qs = Person.objects.filter(org_unit=users["s12_clerk"].org_unit)
    with django_assert_num_queries(1):
        page = list_page(request_for(users["s12_clerk"]), qs)
    assert (page.count, page.count_kind, page.count_display, page.num_pages) == (20, "exact", "共 20 条", 1)
    assert not page.has_next and not page.has_previous and page.next_url is None


def test_exact_count_when_small(users, crowd):
    page = list_page(request_for(users["s11_clerk"]), Person.objects.all(), exact_limit=1000)
    assert (page.count, page.count_is_exact, page.num_pages) == (150, True, 3)


def test_estimated_count_beyond_the_exact_limit(users, crowd):
    with CaptureQueriesContext(connection) as ctx:
        page = list_page(request_for(users["s11_clerk"]), Person.objects.all(), exact_limit=60)
    assert not page.count_is_exact and page.num_pages is None
    if connection.vendor == "postgresql":
        assert page.count_kind == "estimate" and page.count > 60
        assert page.count_display.startswith("约 ")
        assert any(q["sql"].startswith("EXPLAIN") for q in ctx.captured_queries)
    else:
        assert (page.count_kind, page.count_display) == ("at_least", "60 条以上")
    assert len(ctx.captured_queries) <= 3
    assert page.last_url is not None and "page=" not in page.last_url  # last page number unknown


@pytest.mark.postgres
def test_postgresql_does_not_count_what_the_planner_calls_costly(users, crowd, monkeypatch):
    monkeypatch.setattr(listing, "COUNT_COST_LIMIT", 0)
    with CaptureQueriesContext(connection) as ctx:
        page = list_page(request_for(users["s11_clerk"]), Person.objects.all())
    assert page.count_kind == "estimate"
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT")]


def test_estimates_are_rounded_to_two_figures():
    page = listing.ListPage(items=[], per_page=50, number=1, has_next=True, has_previous=False, count=634_103,
                            count_kind="estimate", query="")
    assert page.count_display == "约 630,000 条"


# --- queries ----------------------------------------------------------------------------------------------


def data_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries if "servicecenter_person" in q["sql"]], response


def test_people_list_queries_do_not_grow_with_the_list_or_the_page(client_for, users):
    clerk = client_for("s11_clerk")
    unit = users["s11_clerk"].org_unit
    clerk.get("/people/")
    bulk_people(unit, 60)
    first, response = data_queries(clerk, "/people/")
    assert 2 <= len(first) <= 3  # page, (EXPLAIN), capped COUNT
    second, _ = data_queries(clerk, "/people/" + link(response, "next"))
    bulk_people(unit, 140, start=60)
    again, response = data_queries(clerk, "/people/?ordering=name")
    deeper, _ = data_queries(clerk, "/people/" + link(response, "next"))
    assert len(first) == len(second) == len(again) == len(deeper)


def test_employer_list_pages_keep_the_filters(client_for, users, django_assert_num_queries):
    unit = users["s11_clerk"].org_unit
    for n in range(55):
        make_employer(unit, name=f"绍兴越兴{n:02d}纺织有限公司", industry="C")
    make_employer(unit, name="别的公司", industry="F")
    clerk = client_for("s11_clerk")
    ids, pages = walk(clerk, "/employers/", {"q": "纺织", "industry": "C"})
    assert len(ids) == 55 and len(pages) == 2
    assert ids == list(Employer.objects.filter(industry="C").order_by("-id").values_list("pk", flat=True))
    assert "q=%E7%BA%BA%E7%BB%87&industry=C" in link(pages[0], "next")


# --- the shape every list page relies on --------------------------------------------------------------------


def test_ordering_that_keyset_paging_cannot_serve_falls_back_to_numbered_pages(users, crowd):
    qs = Person.objects.all()
    page = list_page(request_for(users["s11_clerk"]), qs, ordering=["created_by", "id"])
    assert not page.keyset and page.next_url == "?page=2"
    second = list_page(request_for(users["s11_clerk"], page="2"), qs, ordering=["created_by", "id"])
    assert second.number == 2 and {p.pk for p in second}.isdisjoint(p.pk for p in page)
    beyond = list_page(request_for(users["s11_clerk"], page="999"), qs, ordering=["created_by", "id"])
    assert beyond.number == 1 and len(beyond) == 50


def test_ordering_through_a_relation_pages_by_its_value(users, crowd):
    unit = users["s11_clerk"].org_unit
    employers = [make_employer(unit, name=f"单位{n}") for n in range(3)]
    for n, person in enumerate(Person.objects.order_by("id")):
        person.employer = employers[n % 3]
        person.save(update_fields=["employer"])
    qs = Person.objects.filter(employer__isnull=False)
    expected = list(qs.order_by("employer__name", "id").values_list("pk", flat=True))
    ids, request = [], request_for(users["s11_clerk"])
    while True:
        page = list_page(request, qs, ordering=["employer__name"])
        assert page.keyset
        ids += [p.pk for p in page]
        if not page.next_url:
            break
        request = RequestFactory().get("/people/" + page.next_url)
    assert ids == expected


def test_paginate_keeps_the_older_call_style(users, crowd):
    page, query = paginate(request_for(users["s11_clerk"], event="x", page="2"), Person.objects.all())
    assert query == "event=x" and page.number == 2 and len(page.object_list) == 50
