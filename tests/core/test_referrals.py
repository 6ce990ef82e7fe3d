"""The kernel's referrals (servicecenter/referrals.py) with a stand-in target, whatever service apps
take referrals: a source record's timeline gets the entry and the audit row, a record is referred
once, a target that does not take the record offers nothing, and the declarations are checked.
(tests/legalaid/test_referrals.py covers the real petitions → legal aid referral.)"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from petitions import services as petition_services
from petitions.models import Category
from servicecenter import referrals, registry
from servicecenter.models import AuditEvent, Sequence
from tests.conftest import make_person


@pytest.fixture
def target(monkeypatch):
    """A target declared by an installed app (any will do): a "draft" is a numbering row."""
    made: list = []

    def create(referral: referrals.Referral):
        made.append(referral)
        return Sequence.objects.create(kind="ZZ", org_unit=referral.org_unit, year=2000 + len(made))

    def existing(source):
        return Sequence.objects.filter(kind="ZZ", year=2000 + len(made)).first() if made else None

    fake = referrals.ReferralTarget("jobs.probe", "转测试", "view", create=create, existing=existing,
                                    accepts=lambda r: r.person is not None and r.person.name != "不收", url=lambda d: "/")
    host = registry.service_app("jobs")
    if host is None:
        pytest.skip("the host app is not installed")
    monkeypatch.setitem(registry._APPS, "jobs", dataclasses.replace(host, referral_targets=(fake,)))
    return fake, made


def petition_of(user, name="来访人"):
    return petition_services.petition_intake(
        by=user, token=uuid.uuid4(), org_unit=user.org_unit, person=make_person(user, name=name), channel="visit",
        received_at=timezone.now(), headcount=1, category=Category.objects.first(), facts="事实", request="诉求")


def test_referring_writes_the_sources_timeline_once(users, target):
    fake, made = target
    clerk = users["s11_clerk"]
    p = petition_of(clerk)
    source = referrals.source_for(type(p))
    assert source is not None
    draft = referrals.referral_create(target=fake, source=source, obj=p, by=clerk, note="请办理")
    assert made[0].label == f"信访事项 {p.number}" and made[0].note == "请办理" and made[0].by == clerk
    entry = p.events.get(kind="refer")
    assert entry.label == "转测试" and str(draft) in entry.note
    assert AuditEvent.objects.filter(action="petitions.refer", target_id=str(p.pk)).count() == 1
    with pytest.raises(ValidationError, match="该记录已转测试"):
        referrals.referral_create(target=fake, source=source, obj=p, by=clerk)
    assert len(made) == 1


def test_the_panel_offers_only_what_the_target_takes(users, target, rf: RequestFactory):
    clerk = users["s11_clerk"]
    request = rf.get("/")
    request.user = clerk
    request.session = {}
    offered = referrals.referral_panel(request, petition_of(clerk))["referrals"]
    assert [o.target.code for o in offered if o.target.code == "jobs.probe"] == ["jobs.probe"]
    refused = referrals.referral_panel(request, petition_of(clerk, name="不收"))["referrals"]
    assert "jobs.probe" not in [o.target.code for o in refused]


def test_the_origin_is_found_through_the_access_policy(users, target):
    clerk = users["s11_clerk"]
    p = petition_of(clerk)
    content_type, pk = referrals.origin_of(p)
    assert referrals.origin_record(content_type.pk, pk, clerk) == p
    assert referrals.origin_record(content_type.pk, pk, users["s12_clerk"]) is None
    assert referrals.origin_record(None, None, clerk) is None
