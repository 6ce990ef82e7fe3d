"""The access policy on records: scope (own unit and below), 404 vs 403, links, case-less roles.
The permission matrix over every declared permission is ``test_permissions.py``."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.models import Employer, Person, PersonLink, User
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles
from tests.conftest import make_person

PLACES = {"own": "330602", "child": "330602001", "sibling": "330604", "parent": "330600"}


@pytest.fixture
def records(users, units) -> dict[str, Person]:
    # Registered by the city supervisor, who may file records anywhere below the city.
    by = users["city_sup"]
    return {place: make_person(by, units[code], name=f"{place}职工") for place, code in PLACES.items()}


def test_require_is_404_outside_scope_and_403_for_a_role_that_may_not(records, users):
    auditor_at_district = users["d1_sup"]
    with pytest.raises(Http404):
        require(auditor_at_district, Action.VIEW, records["sibling"])
    with pytest.raises(PermissionDenied):
        require(users["auditor"], Action.CHANGE, records["child"])
    require(users["auditor"], Action.VIEW, records["child"])


def test_get_visible_or_404_hides_out_of_scope_and_malformed_keys(records, users):
    clerk = users["s11_clerk"]
    assert get_visible_or_404(Person.objects.all(), clerk, pk=records["child"].pk) == records["child"]
    for bad in (records["sibling"].pk, records["parent"].pk, 10**9, "abc"):
        with pytest.raises(Http404):
            get_visible_or_404(Person.objects.all(), clerk, pk=bad)


def test_station_clerk_sees_own_station_only(records, users):
    assert set(visible(Person.objects.all(), users["s11_clerk"])) == {records["child"]}
    assert set(visible(Person.objects.all(), users["s12_clerk"])) == set()
    assert set(visible(Person.objects.all(), users["city_sup"])) == set(records.values())


def test_a_link_makes_a_person_visible_in_the_linked_unit(records, users, units):
    PersonLink.objects.create(person=records["sibling"], org_unit=units["330602002"])
    assert records["sibling"] in visible(Person.objects.all(), users["s12_clerk"])
    assert records["sibling"] not in visible(Person.objects.all(), users["s11_clerk"])


def test_system_admin_and_security_auditor_see_no_case_data(records, users):
    for username in ("sysadmin", "secaudit"):
        assert not visible(Person.objects.all(), users[username]).exists()
        assert not visible(Employer.objects.all(), users[username]).exists()


def test_inactive_or_anonymous_users_can_do_nothing(records, users):
    from django.contrib.auth.models import AnonymousUser

    clerk = users["s11_clerk"]
    clerk.is_active = False
    assert not can(clerk, Action.VIEW, records["child"])
    assert not visible(Person.objects.all(), AnonymousUser()).exists()


def test_roles_of_one_user_combine(users, records):
    user = users["s11_clerk"]
    staff_set_roles(user=user, roles=[Role.CLERK, Role.SUPERVISOR])
    user = User.objects.get(pk=user.pk)
    assert can(user, "petitions.extend", records["child"])
    assert not can(user, "petitions.extend", records["own"])  # the district is above the station
