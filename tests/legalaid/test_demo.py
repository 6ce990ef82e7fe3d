"""The demo: cases in every state, one urgent limitation, one conflict to be refused; idempotent;
``--count legalaid=N`` adds bulk cases with numbers that continue the series."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from legalaid import services
from legalaid.demo import seed_bulk
from legalaid.models import Advisor, Application, Consultation, Mediation
from legalaid.selectors import urgent_q
from servicecenter.models import User


@pytest.fixture
def demo(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_every_state_one_urgent_one_conflict(demo):
    assert set(Application.objects.values_list("status", flat=True)) == set(Application.Status.values)
    assert set(Mediation.objects.values_list("status", flat=True)) == set(Mediation.Status.values)
    assert Consultation.objects.count() == 5
    from django.utils import timezone

    assert Application.objects.filter(urgent_q(timezone.localdate(), 30)).exists()
    granted = Application.objects.get(status="granted")
    wang = Advisor.objects.get(name="王立新")
    with pytest.raises(ValidationError, match="存在利害冲突"):
        services.application_assign(application=granted, by=User.objects.get(username="d1_sup"), advisor=wang)
    assert Application.objects.filter(withdrawn_as_stale=True).count() == 1


def test_it_runs_again_without_change_and_bulk_cases_continue_the_numbers(demo, settings):
    before = (Application.objects.count(), Mediation.objects.count(), Advisor.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Application.objects.count(), Mediation.objects.count(), Advisor.objects.count()) == before
    assert seed_bulk(300) == 300 and seed_bulk(300) == 0 and seed_bulk(350) == 50
    numbers = list(Application.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == before[0] + 350
    clerk = User.objects.get(username="s11_clerk")
    from tests.conftest import make_employer
    from tests.legalaid.conftest import intake

    a = intake(clerk, Application.objects.filter(org_unit=clerk.org_unit).first().applicant, make_employer(clerk.org_unit))
    assert a.number not in numbers[:-1]
