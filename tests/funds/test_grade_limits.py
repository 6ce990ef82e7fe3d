"""Amount limits per hardship grade: ``funds.limit.<type>.<grade>`` (the file's 困难类别) when set;
the type's own limit when it is not, and for a grant without a file. At the limit passes, one cent
above is refused at the amount field, naming the grade and the limit, audited, nothing made."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from funds.holds import limit_for
from funds.models import Grant, ReliefType
from servicecenter.models import AuditEvent

from .conftest import set_param

S = Grant.Status


def extreme_file(grants):  # noqa: ANN001, ANN201
    from hardship.models import HardshipFile

    f = grants.archived_file()
    HardshipFile.objects.filter(pk=f.pk).update(grade="extreme")
    f.refresh_from_db()
    return f


def test_the_grades_limit_applies_at_its_edge(grants, units):
    set_param(units["330602"], "funds.limit.living.extreme", "8000")
    f = extreme_file(grants)
    before = Grant.objects.count()
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.LIVING, file=f, amount="8000.01")
    assert caught.value.message_dict["amount"] == ["特困职工生活救助每次最多 8000 元。"]
    assert Grant.objects.count() == before
    assert AuditEvent.objects.filter(action="funds.grant_apply.refused", detail__contains="特困职工").exists()
    g = grants.apply(relief_type=ReliefType.LIVING, file=f, amount="8000.00")  # above the type's 5000
    assert g.amount == 8000


def test_a_lower_grade_limit_refuses_what_the_type_allows(grants, units):
    set_param(units["330602"], "funds.limit.living.hardship", "3000")
    f = grants.archived_file()  # 困难职工
    with pytest.raises(ValidationError, match="困难职工生活救助每次最多 3000 元"):
        grants.apply(relief_type=ReliefType.LIVING, file=f, amount="3000.01")
    assert grants.apply(relief_type=ReliefType.LIVING, file=f, amount="3000").status == S.APPLIED


def test_an_unset_grade_limit_falls_back_to_the_types(grants, units):
    set_param(units["330602"], "funds.limit.living.extreme", "8000")  # another grade's
    f = grants.archived_file()
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.LIVING, file=f, amount="5000.01")
    assert caught.value.message_dict["amount"] == ["生活救助每次最多 5000 元。"]
    assert grants.apply(relief_type=ReliefType.LIVING, file=f, amount="5000").status == S.APPLIED


def test_without_a_file_the_types_limit_applies(grants, units):
    set_param(units["330602"], "funds.limit.emergency.extreme", "20000")
    with pytest.raises(ValidationError) as caught:
        grants.apply(relief_type=ReliefType.EMERGENCY, amount="10000.01")
    assert caught.value.message_dict["amount"] == ["临时/应急救助每次最多 10000 元。"]


def test_the_grade_limit_is_per_unit_and_year(grants, units):
    set_param(units["330602"], "funds.limit.living.extreme", "9000", year=2020)
    assert limit_for(ReliefType.LIVING, units["330602001"], 2020, "extreme").amount == 9000
    assert limit_for(ReliefType.LIVING, units["330602001"], 2021, "extreme").amount == 5000
    assert limit_for(ReliefType.LIVING, units["330604"], 2020, "extreme").amount == 5000
    assert limit_for(ReliefType.LIVING, units["330602001"], 2020, "unknown").grade_label == ""


def test_a_negative_grade_limit_is_refused_as_a_parameter():
    from servicecenter.parameters import validate_parameter

    with pytest.raises(ValidationError, match="不能小于0"):
        validate_parameter("funds.limit.living.extreme", "-1")
    with pytest.raises(ValidationError, match="应为数字"):
        validate_parameter("funds.limit.living.extreme", "很多")
