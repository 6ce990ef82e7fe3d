"""就业援助 fixtures: a verified recruiter at station 330602001 with its papers, postings and seekers
made through the services, and a clock that can be set."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jobs import services
from jobs.models import Occupation, Paper, Posting, Recruiter, Seeker, Skill
from servicecenter.models import Parameter
from tests.conftest import make_employer, make_person

TODAY = timezone.localdate


def png(name: str = "证件.png") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def set_param(unit: Any, key: str, value: str, year: int | None = None) -> None:
    Parameter.objects.update_or_create(key=key, org_unit=unit, year=year, defaults={"value": value})


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``freeze(date)`` sets "today" (and now, at 10:00) for the code under test."""

    def _freeze(day: datetime.date) -> datetime.date:
        aware = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
        monkeypatch.setattr(timezone, "now", lambda: aware)
        monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: day if value is None
                            else value.astimezone(aware.tzinfo).date())
        return day

    return _freeze


def skill(name: str) -> Skill:
    return Skill.objects.get(name=name)


def occupation(name: str) -> Occupation:
    return Occupation.objects.get(name=name)


def make_recruiter(clerk: Any, *, verified: bool = True, employer: Any = None, **employer_data: Any) -> Recruiter:
    employer = employer or make_employer(clerk.org_unit, **employer_data)
    recruiter = services.recruiter_register(by=clerk, employer=employer, contact_person="王经理",
                                            contact_phone="13905750001")
    if verified:
        for kind in Paper.Kind.values:
            services.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=kind, upload=png())
        services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=TODAY())
    recruiter.refresh_from_db()
    return recruiter


def posting_data(unit: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "title": "车间操作工", "occupation": occupation("普工"), "openings": 3, "education_min": 0,
        "age_min": None, "age_max": None, "skills": [], "requirements": "能适应两班倒",
        "employment_type": "full", "wage_min": Decimal("3000.00"), "wage_max": Decimal("4500.00"),
        "area": unit, "address": "绍兴市越城区府山街道", "contact_person": "王经理", "contact_phone": "13905750001",
        "valid_from": TODAY(), "valid_to": TODAY() + datetime.timedelta(days=30), "for_vulnerable": False,
    }
    data.update(overrides)
    return data


def make_posting(clerk: Any, recruiter: Recruiter, *, publish: bool = True, **overrides: Any) -> Posting:
    data = posting_data(overrides.pop("area", clerk.org_unit), **overrides)
    return services.posting_create(by=clerk, recruiter=recruiter, publish=publish, **data)


def make_seeker(clerk: Any, person: Any = None, **overrides: Any) -> Seeker:
    person = person or make_person(clerk, name=overrides.pop("name", "李建国"))
    data = {"education": 3, "skills": [], "desired_occupation": None, "desired_area": None, "employment_type": "any",
            "desired_monthly_wage": None, "desired_hourly_wage": None}
    data.update(overrides)
    return services.seeker_register(by=clerk, person=person, **data)


@pytest.fixture
def clerk(users: dict) -> Any:
    return users["s11_clerk"]


@pytest.fixture
def recruiter(clerk: Any) -> Recruiter:
    return make_recruiter(clerk, name="越兴纺织印染有限公司")


@pytest.fixture
def posting(clerk: Any, recruiter: Recruiter) -> Posting:
    return make_posting(clerk, recruiter)


@pytest.fixture
def seeker(clerk: Any) -> Seeker:
    return make_seeker(clerk)
