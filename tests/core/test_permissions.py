"""The permission matrix, generated from the declarations: every role × every declared permission ×
where the record sits (own unit, a child, a sibling, the parent), checked against the table written
from DOMAIN.md §1 (tests/permission_table.py). Grants flow downward only."""

from __future__ import annotations

import pytest

from servicecenter import permissions
from servicecenter.access import can, role_allows
from servicecenter.models import User
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles
from tests.permission_table import EXPECTED, UNSCOPED

# The user sits at district 330602.
PLACES = {"own": "330602", "child": "330602001", "sibling": "330604", "parent": "330600"}


def test_the_declarations_and_the_expected_table_name_the_same_permissions():
    declared = {p.code for p in permissions.all_permissions()}
    assert declared == set(EXPECTED), {"declared, not expected": declared - set(EXPECTED),
                                       "expected, not declared": set(EXPECTED) - declared}


def test_each_permission_is_held_by_exactly_the_expected_roles():
    for p in permissions.all_permissions():
        assert set(p.roles) == EXPECTED[p.code], p.code
        assert p.scoped is (p.code not in UNSCOPED), p.code


@pytest.fixture
def user_with_role(units):
    def build(role: Role) -> User:
        user = User.objects.create(username=f"matrix_{role.value}", org_unit=units["330602"])
        staff_set_roles(user=user, roles=[role])
        return User.objects.get(pk=user.pk)

    return build


@pytest.mark.parametrize("role", list(Role))
def test_permission_matrix(role, units, user_with_role):
    user = user_with_role(role)
    for code in sorted(EXPECTED):
        holds = role in EXPECTED[code]
        assert role_allows(user, code) is holds, (role, code)
        for place, unit_code in PLACES.items():
            in_scope = place in ("own", "child") and role.reads_cases
            expected = holds and (code in UNSCOPED or in_scope)
            assert can(user, code, units[unit_code]) is expected, (role, code, place)


def test_an_undeclared_permission_is_a_configuration_error(users):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="未声明的权限"):
        role_allows(users["s11_clerk"], "petitions.fly")


def test_a_permission_with_an_unknown_role_fails_at_declaration():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="未知角色"):
        permissions.Permission.of("petitions.x", "x", ["janitor"])
