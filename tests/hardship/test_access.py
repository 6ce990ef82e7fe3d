"""Who sees which file: a station only its own; the district its stations' files in every state
(it approves them); the city only what a district approved; other units nothing (404)."""

from __future__ import annotations

import pytest

from hardship.models import HardshipFile
from hardship.selectors import files_for
from servicecenter.access import visible

from .conftest import Kit

S = HardshipFile.Status


@pytest.fixture
def files(kit: Kit) -> dict[str, HardshipFile]:
    return {state: kit.make(state) for state in (S.APPLIED, S.NOTICE, S.SUBMITTED, S.ARCHIVED, S.EXITED)}


def seen(user, files) -> set[str]:
    return set(visible(HardshipFile.objects.filter(pk__in=[f.pk for f in files.values()]), user)
               .values_list("status", flat=True))


def test_the_station_sees_its_own_files_in_every_state(files, users):
    assert seen(users["s11_worker"], files) == set(files)
    assert seen(users["s11_clerk"], files) == set(files)


def test_a_sibling_station_and_the_other_district_see_nothing(files, users):
    for username in ("s12_clerk", "s21_clerk", "d2_sup"):
        assert seen(users[username], files) == set(), username


def test_the_district_sees_its_stations_files_in_every_state(files, users):
    assert seen(users["d1_sup"], files) == set(files)
    assert seen(users["d1_accountant"], files) == set(files)


def test_the_city_sees_only_what_a_district_approved(files, users):
    assert seen(users["city_sup"], files) == {S.ARCHIVED, S.EXITED}
    assert seen(users["auditor"], files) == {S.ARCHIVED, S.EXITED}


def test_the_system_admin_and_the_security_auditor_see_no_file(files, users):
    assert not files_for(users["sysadmin"]).exists() and not files_for(users["secaudit"]).exists()


def test_file_pages_answer_404_outside_scope(files, client_for):
    applied, archived = files[S.APPLIED], files[S.ARCHIVED]
    for username, pk, code in (("s12_clerk", applied.pk, 404), ("d2_sup", archived.pk, 404),
                               ("city_sup", applied.pk, 404), ("city_sup", archived.pk, 200),
                               ("d1_sup", applied.pk, 200), ("s11_clerk", archived.pk, 200)):
        client = client_for(username)
        for url in (f"/hardship/{pk}/", f"/hardship/{pk}/print.pdf", f"/hardship/{pk}/card.pdf"):
            assert client.get(url).status_code == code, (username, url)


def test_the_lists_show_each_user_only_their_files(files, client_for):
    for username, expected in (("s11_worker", 5), ("s12_clerk", 0), ("d1_sup", 5), ("city_sup", 2)):
        page = client_for(username).get("/hardship/")
        assert len(page.context["page"].items) == expected, username
    assert len(client_for("city_sup").get("/hardship/roster/").context["page"].items) == 1


def test_home_visits_and_their_photos_follow_the_file(files, client_for):
    f = files[S.NOTICE]
    visit = f.visits.get()
    assert client_for("s11_worker").get(visit.get_absolute_url()).status_code == 200
    assert client_for("s12_clerk").get(visit.get_absolute_url()).status_code == 404
    assert client_for("city_sup").get(visit.get_absolute_url()).status_code == 404


def test_the_auditor_reads_but_cannot_act(files, client_for):
    client = client_for("auditor")
    archived = files[S.ARCHIVED]
    assert client.get(f"/hardship/{archived.pk}/").status_code == 200
    assert client.post(f"/hardship/{archived.pk}/recheck/", {"grade": "hardship", "opinion": "x"}).status_code == 403
    assert client.get(f"/hardship/{archived.pk}/edit/").status_code == 403
