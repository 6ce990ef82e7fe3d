"""``seed_demo``: idempotent, ``--scale N`` adds N valid people in bulk, refuses to run on production."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from servicecenter import demo, encryption
from servicecenter.management.commands import seed_demo
from servicecenter.models import Employer, OrgUnit, Person, PersonLink, User
from servicecenter.people import identity_fields, name_initials
from servicecenter.validators import validate_resident_id


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (OrgUnit.objects.count(), User.objects.count(), Person.objects.count(), Employer.objects.count(),
            PersonLink.objects.count())


@pytest.fixture
def debug(settings, db):
    settings.DEBUG = True


def demo_hashes() -> set[str]:
    return {encryption.lookup_hash(row["id_number"]) for row in demo.people_rows(seed_demo.DEMO_PEOPLE)}


def test_running_twice_changes_nothing(debug):
    seed()
    first = counts()
    assert first[2] == seed_demo.DEMO_PEOPLE and first[3] == seed_demo.DEMO_EMPLOYERS
    seed()
    assert counts() == first


def test_the_demo_people_are_always_the_same(debug):
    seed()
    names = dict(Person.objects.values_list("id_number_hash", "name"))
    expected = {encryption.lookup_hash(r["id_number"]): r["name"] for r in demo.people_rows(seed_demo.DEMO_PEOPLE)}
    assert names == expected


@pytest.mark.parametrize("workers", ["0", "2"])
def test_scale_adds_valid_people_once(debug, workers):
    seed()
    before = counts()
    output = seed("--scale", "500", "--batch", "200", "--workers", workers)
    assert "条/秒" in output  # progress with the rate
    after = counts()
    assert after[2] - before[2] == 500
    assert after[3] - before[3] == 500 // demo.EMPLOYERS_PER_PERSON
    assert after[4] - before[4] == 5  # every 100th bulk person is linked to a second station

    bulk = Person.objects.exclude(id_number_hash__in=demo_hashes())
    assert bulk.count() == 500
    for person in bulk:
        number = person.id_number  # decrypts
        assert validate_resident_id(number) == number
        expected = identity_fields(number)
        assert (person.id_number_hash, person.id_number_masked, person.sex, person.birth_date) == (
            expected["id_number_hash"], expected["id_number_masked"], expected["sex"], expected["birth_date"])
        assert person.name_initials == name_initials(person.name)
        assert person.org_unit.kind == OrgUnit.Kind.STATION
    linked = PersonLink.objects.select_related("person", "org_unit")
    assert all(link.person.org_unit_id != link.org_unit_id for link in linked)

    seed("--scale", "500", "--batch", "200", "--workers", workers)
    assert counts() == after


def test_a_larger_scale_adds_only_the_difference(debug):
    seed("--scale", "150", "--batch", "100", "--workers", "0")
    hashes = set(Person.objects.values_list("id_number_hash", flat=True))
    seed("--scale", "320", "--batch", "100", "--workers", "0")  # the block 100..199 was half written
    assert Person.objects.count() == seed_demo.DEMO_PEOPLE + 320
    assert hashes <= set(Person.objects.values_list("id_number_hash", flat=True))


def test_bulk_rows_do_not_depend_on_the_block_size():
    by_block = [row for start in range(200, 260, 20) for row in demo.bulk_people_rows(start, 20)]
    assert len({row["id_number"] for row in by_block}) == 60
    assert [r["id_number"] for r in by_block] == [demo.bulk_id_number(i) for i in range(200, 260)]


def test_refuses_with_debug_off_unless_forced(settings, db):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Person.objects.exists()
    seed("--force")
    assert Person.objects.count() == seed_demo.DEMO_PEOPLE


def test_copy_text_escapes_what_would_break_a_row():
    assert seed_demo._copy_text("a\tb\\c\nd") == "a\\tb\\\\c\\nd"
    assert (seed_demo._copy_text(None), seed_demo._copy_text(True), seed_demo._copy_text(False)) == ("\\N", "t", "f")
