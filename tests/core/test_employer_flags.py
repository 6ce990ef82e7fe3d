"""The kernel's employer flags: an app declares a source (employer ids → flags), other apps' pages
ask ``registry.employer_flags`` and get every installed app's flags, one call per declaring app."""

from __future__ import annotations

import uuid

from django.utils import timezone

from servicecenter import registry
from tests.conftest import make_employer, make_person


def test_flags_of_every_declaring_app_are_collected(monkeypatch):
    calls = []

    def source(ids):  # noqa: ANN001, ANN202
        calls.append(ids)
        return {ids[0]: [registry.EmployerFlag("测试", "一条提示")]}

    probe = registry.ServiceApp(label="petitions", name="探针", employer_flags=source)
    monkeypatch.setitem(registry._APPS, "petitions", probe)
    flags = registry.employer_flags([3, 1, 3, None])
    assert calls == [[1, 3]]  # distinct, sorted, one call
    assert flags == {1: [registry.EmployerFlag("测试", "一条提示", "探针")]}
    assert registry.employer_flags([]) == {}


def test_petitions_flags_open_wage_arrears(users, units):
    from petitions import services
    from petitions.models import Category

    clerk = users["s11_clerk"]
    employer, other = make_employer(units["330602001"]), make_employer(units["330602001"])
    wage = Category.objects.get(name="工资报酬/拖欠工资")
    contract = Category.objects.get(name="劳动合同")
    for category in (wage, wage, contract):
        services.petition_intake(by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit,
                                 person=make_person(clerk), channel="visit", received_at=timezone.now(), headcount=1,
                                 category=category, facts="事实", request="诉求", employer=employer)
    flags = registry.employer_flags([employer.pk, other.pk])
    assert [(f.label, f.detail, f.app) for f in flags[employer.pk]] == [("欠薪", "有2件未办结的拖欠工资信访", "信访接待")]
    assert other.pk not in flags
